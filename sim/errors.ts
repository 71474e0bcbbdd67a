// The ground floor: errors every layer may raise. Imports nothing of the product.
/** Bad input from the user: reported as one clear line and exit code 2, never a stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
