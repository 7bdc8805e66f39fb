import { IsIn, IsNotEmpty, IsNumber, IsOptional, IsUrl, validateSync } from "class-validator";
import environment from "./environment";

export class Environment {
  @IsIn(["development", "production", "test"])
  public ENVIRONMENT = environment.NODE_ENV ?? "production";

  /** Signs the session cookies: the app refuses to start without it. */
  @IsNotEmpty()
  public SESSION_SECRET = environment.SESSION_SECRET ?? "";

  @IsNumber()
  public PORT = Number(environment.PORT ?? 8000);

  @IsOptional()
  @IsUrl({ require_tld: false })
  public SENTRY_DSN = environment.SENTRY_DSN;

  @IsIn(["debug", "info", "warn", "error"])
  public LOG_LEVEL = environment.LOG_LEVEL || "info";
}

const env = new Environment();
const errors = validateSync(env);
if (errors.length > 0) {
  const problems = errors.map((error) => "- " + Object.values(error.constraints ?? {}).join(", "));
  console.error("Environment configuration is invalid:\n" + problems.join("\n"));
  process.exit(1);
}

export default env;
