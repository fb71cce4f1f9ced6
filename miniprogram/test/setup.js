// Every test file tidies the shop up after itself (test/tidy.js).
const { tidyUp } = require("./tidy");

afterAll(tidyUp);
