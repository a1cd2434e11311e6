#!/usr/bin/env node
import '../dist/src/cmd/peapod.js';
