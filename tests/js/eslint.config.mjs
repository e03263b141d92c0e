// eslint for the page's scripts (static/js) and the Node tests; run from the project's root:
// tests/js/node_modules/.bin/eslint -c tests/js/eslint.config.mjs (scripts/check does).
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["static/vendor/**", "tests/js/node_modules/**", "clients/js/node_modules/**"] },
  js.configs.recommended,
  {
    files: ["static/js/**/*.js"],
    languageOptions: { sourceType: "module", globals: { ...globals.browser, io: "readonly" } },
    rules: {
      "no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      eqeqeq: ["error", "smart"],
      "prefer-const": "error",
    },
  },
  {
    // The client library: for browsers and Node alike.
    files: ["clients/js/**/*.js", "clients/js/**/*.mjs"],
    languageOptions: { sourceType: "module", globals: { ...globals.browser, ...globals.node } },
    rules: { eqeqeq: ["error", "smart"], "prefer-const": "error" },
  },
  {
    files: ["tests/js/**/*.mjs", "tests/js/**/*.js"],
    languageOptions: { sourceType: "module", globals: { ...globals.node } },
  },
];
