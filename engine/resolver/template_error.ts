/**
 * The resolver's contract strings and its one error class (docs/cli.md, docs/templating.md) [D7].
 * @module
 */
import { AetherflowError, EXIT } from "../errors.ts";

/** First line of every template syntax error (contract text, kept verbatim from upstream) [D7]. */
export const STRICT_ERR = "Unsupported templating syntax. Use {{VAR}} or {{VAR:DEFAULT}}";

/** Message of the decode-concatenation rule (docs/validation.md 1b, docs/templating.md). */
export const DECODE_ERR =
  "Decode target must be a standalone template token like '{{TOKEN}}' (no prefix/suffix).";

/** `syntax`: forbidden or malformed template; `missing`: a key that resolves to nothing (or `""`). */
export type TemplateErrorKind = "syntax" | "missing";

/**
 * A template could not be rendered. Runtime default exit code is 1 ([D2]: a template that fails at run
 * time fails the step); validation turns these into issues itself.
 */
export class TemplateError extends AetherflowError {
  readonly kind: TemplateErrorKind;
  /** Full dotted path for `missing` (`steps.s1.v`); undefined for `syntax`. */
  readonly path?: string;
  constructor(
    kind: TemplateErrorKind,
    message: string,
    options: { path?: string; loc?: string; cause?: unknown } = {},
  ) {
    // `loc`: the string leaf that failed (`inputs.command[2]`), when the caller gave `renderValue` a `loc`.
    super(message, {
      code: `template:${kind}`,
      exitCode: EXIT.FAILED,
      cause: options.cause,
      loc: options.loc,
    });
    this.name = "TemplateError";
    this.kind = kind;
    this.path = options.path;
  }

  /** The same error, remembering the leaf it came from. */
  at(loc: string): TemplateError {
    return new TemplateError(this.kind, this.message, { path: this.path, loc, cause: this.cause });
  }

  /**
   * The same error with `(where)` appended to its first line, e.g. `Missing template key: env.X (job 'a',
   * step 's', inputs.command[2])`: the first line keeps its contract text as a prefix, details stay below.
   */
  locate(where: string): TemplateError {
    const nl = this.message.indexOf("\n");
    const message = nl === -1
      ? `${this.message} (${where})`
      : `${this.message.slice(0, nl)} (${where})${this.message.slice(nl)}`;
    return new TemplateError(this.kind, message, { path: this.path, loc: this.loc, cause: this });
  }
}

/** A syntax error: `STRICT_ERR` + "\n" + free-form detail (only the first line is contract, docs/templating.md). */
export function templateSyntaxError(detail: string): TemplateError {
  return new TemplateError("syntax", `${STRICT_ERR}\n${detail}`);
}

/** A missing-key error naming the full dotted path (`Missing template key: result.v`) [ours wording]. */
export function templateMissingError(path: string): TemplateError {
  return new TemplateError("missing", `Missing template key: ${path}`, { path });
}
