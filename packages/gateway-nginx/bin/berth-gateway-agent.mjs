#!/usr/bin/env node
// berth-gateway-agent: keeps one Nginx node on its gateway's wanted configuration (docs/gateway.md).
// Loads the TypeScript sources through tsx (no build step, ADR 0002).
import { register } from 'tsx/esm/api';

register();
const { runAgentCli } = await import('../src/agent.ts');
// Exit once the agent stopped: handles it no longer needs (a keep-alive socket, the stderr pipe of
// Nginx workers still finishing their connections) must not keep a stopped agent alive.
process.exit(await runAgentCli(process.argv.slice(2), process.env));
