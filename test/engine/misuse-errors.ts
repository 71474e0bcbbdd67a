// The misuse tests of every lock (an unlock without holding, by a non-owner, a retry) call each
// wrong operation in turn and compare the messages, so one throwing does not end the test.

/** `attempt(f)` runs f and keeps the message of what it throws in `errors`. */
export function misuseErrors(): { errors: string[]; attempt: (f: () => void) => void } {
  const errors: string[] = [];
  const attempt = (f: () => void) => {
    try {
      f();
    } catch (e) {
      errors.push((e as Error).message);
    }
  };
  return { errors, attempt };
}
