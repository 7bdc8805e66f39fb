// The process environment, copied once: the settings class reads it as environment.NAME,
// never as process.env.NAME.
const environment: Record<string, string | undefined> = { ...process.env };

export default environment;
