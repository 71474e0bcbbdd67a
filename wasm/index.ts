// Entry point of the WebAssembly fast paths (see DESIGN.md principle 6).
// Each structure lives in its own file and is re-exported here.
export const RMSIM_WASM_ABI: i32 = 1;
