/** Where the server keeps config.yaml (platformdirs user_config_dir("byok-ls"), or $BYOK_LS_CONFIG_DIR). */

export function configDir(env: Record<string, string | undefined>, platform: string, home: string, join: (...p: string[]) => string): string {
  if (env.BYOK_LS_CONFIG_DIR) return env.BYOK_LS_CONFIG_DIR;
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'byok-ls', 'byok-ls');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'byok-ls');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'byok-ls');
}

export function configFile(env: Record<string, string | undefined>, platform: string, home: string, join: (...p: string[]) => string): string {
  return join(configDir(env, platform, home, join), 'config.yaml');
}
