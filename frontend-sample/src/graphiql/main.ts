// GraphiQL, the playground Django serves at GET /graphql/ (schema/view.py). That page loads this entry by its
// fixed name, /graphiql/graphiql.js (vite.graphiql.config.ts), so Django needs no list of the build's files; this
// entry then loads the rest (hashed chunks, their CSS, Monaco's workers) from /assets/, never from a CDN.
const root = document.getElementById("graphiql");

if (root) {
  import("./GraphiQLApp")
    .then(({ renderGraphiQL }) => renderGraphiQL(root))
    .catch((error: unknown) => {
      root.textContent = `GraphiQL did not load (${String(error)}). Rebuild it with scripts/frontend build and reload.`;
    });
}
