// `aetherflow settings [--json]`: the effective settings and where each value came from (docs/configuration.md).
import type { Command } from "@commander-js/extra-typings";
import { buildSnapshot, loadSettings, Masker, SETTING_NAMES, settingEnvVar } from "../engine/config/mod.ts";
import { valueToText } from "../engine/resolver/mod.ts";

export function registerSettings(program: Command): void {
  program
    .command("settings")
    .description("Print the effective settings and where each value came from (env, settings file, default)")
    .option("--json", "print one JSON object")
    .action((opts) => {
      const snapshot = buildSnapshot();
      const settings = loadSettings(snapshot);
      const masker = new Masker();
      masker.addFromSnapshot(snapshot);
      // A URL from the settings file (state_url) carries its password too.
      masker.addFromSnapshot(
        Object.fromEntries(SETTING_NAMES.map((n) => [`settings.${n}`, String(settings[n])])),
      );
      for (const w of settings.warnings) console.error(masker.mask(`WARNING ${w}`));
      if (opts.json) {
        const values = Object.fromEntries(SETTING_NAMES.map((n) => [n, settings[n]]));
        const out = {
          ok: true,
          settings: values,
          sources: settings.sources,
          settings_file: settings.settings_file,
        };
        console.log(masker.mask(JSON.stringify(out)));
        return;
      }
      if (settings.settings_file) console.log(`settings file: ${settings.settings_file}`);
      const width = Math.max(...SETTING_NAMES.map((n) => n.length));
      for (const name of SETTING_NAMES) {
        const value = valueToText(settings[name]);
        console.log(
          masker.mask(
            `${name.padEnd(width)}  ${value}  (${settings.sources[name]}; env ${settingEnvVar(name)})`,
          ),
        );
      }
    });
}
