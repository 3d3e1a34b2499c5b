import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// GraphiQL (src/graphiql/), the playground Django serves at GET /graphql/ (schema/view.py), built from npm
// packages so that it never loads a file from a CDN. `npm run build` runs this after the app's own build, into
// the same dist/ (not emptied), as a separate bundle: the app's chunks stay as they were, and vice versa.
// Django's page loads the entry by a name that never changes, /graphiql/graphiql.js; everything the entry loads
// in turn (chunks, CSS, Monaco's workers) is hashed in assets/, like the app's own files, and cached for good.
export default defineConfig({
  plugins: [react()],
  publicDir: false,
  build: {
    emptyOutDir: false,
    // Only third-party code besides src/graphiql/: its source maps would be most of dist/.
    sourcemap: false,
    // Monaco, GraphiQL's editor, is one chunk of about 2.8 MB, loaded only by /graphql/.
    chunkSizeWarningLimit: 3000,
    rolldownOptions: {
      input: { graphiql: "src/graphiql/main.ts" },
      output: { entryFileNames: "graphiql/[name].js" },
      onwarn(warning, warn) {
        // GraphiQL's packages are compiled by the React Compiler, whose "use no memo" directives mean nothing here.
        if (warning.code === "MODULE_LEVEL_DIRECTIVE" && warning.message.includes("node_modules")) return;
        warn(warning);
      },
    },
  },
});
