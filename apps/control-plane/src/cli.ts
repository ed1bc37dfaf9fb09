#!/usr/bin/env node
/**
 * `medloop <command>`: the control plane's command-line tools, one table. Each command is
 * imported only when run, so one tool's dependencies never load for another.
 */
const COMMANDS: Record<string, { about: string; run: (args: string[]) => Promise<void> }> = {
  witness: {
    about: 'run an outside witness of custody logs (c2sp.org/tlog-witness; configured by WITNESS_* variables)',
    run: async () => (await import('./witness/witness-main.js')).main(),
  },
  audit: {
    about: 'verify a custody log offline: `audit verify --db … --checkpoints … --public-key …`, `audit verify-proof <bundle> --public-key …`',
    run: async (args) => {
      // as `npm run audit`: 0 consistent, 1 not, 2 could not run (one line on stderr)
      try {
        process.exitCode = await (await import('./audit-anchor/audit-cli.js')).auditMain(args);
      } catch (err) {
        const problems = (err as { problems?: { message: string }[] }).problems;
        process.stderr.write(`medloop audit: ${problems ? problems.map((p) => p.message).join('; ') : (err as Error).message}\n`);
        process.exitCode = 2;
      }
    },
  },
};

const [command, ...args] = process.argv.slice(2);
const cmd = command === undefined ? undefined : COMMANDS[command];
if (!cmd) {
  process.stderr.write(
    `${command && command !== 'help' && command !== '--help' ? `medloop: unknown command '${command}'\n` : ''}usage: medloop <command>\n${Object.entries(
      COMMANDS,
    )
      .map(([name, c]) => `  ${name.padEnd(10)} ${c.about}`)
      .join('\n')}\n`,
  );
  process.exit(command === undefined || command === 'help' || command === '--help' ? 0 : 2);
} else {
  await cmd.run(args);
}
