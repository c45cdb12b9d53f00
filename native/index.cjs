// Loads the compiled addon; permafrost treats a missing or failed build as "not available".
module.exports = require('./build/Release/permafrost_native.node');
