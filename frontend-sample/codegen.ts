import type { CodegenConfig } from "@graphql-codegen/cli";

// Types and typed documents come from the schema the server checks in, never from hand-written types.
const config: CodegenConfig = {
  schema: "../schema/schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**", "!src/**/*.test.{ts,tsx}"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
        scalars: { Decimal: "string", DateTime: "string", JSON: "unknown" },
      },
    },
  },
};

export default config;
