// Where the operator functions answer. The dev gateway serves them at /http/<name>; a
// deployment points this at its API gateway or function URL prefix (scripts/build_console.py).
window.RETAIL_API = window.RETAIL_API || "/http/";
