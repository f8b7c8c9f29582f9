// The offline kit's bundle entry: `trbench kit <step>` runs one of the kit's own steps (kit-cli.ts);
// anything else is the trbench CLI itself.
if (process.argv[2] === 'kit') {
  const { runKitCli } = await import('./kit-cli.ts');
  await runKitCli(process.argv.slice(3));
} else {
  await import('@trbench/runner/cli');
}

export {};
