#!/usr/bin/env node
// The mpool CLI. Build first (make build, or npm run build).
import '../dist/cli/main.js';
