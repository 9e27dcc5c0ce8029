// The browser entry's extras (IdleTimer) plus a round trip, resolved with the `browser`
// condition. Checked by `tsc --noEmit`; never run.
import { Envelope, IdleTimer, KeyPair, init } from "@bizing/booking-sdk";
import type { EnvelopeContext, IdleTimerOptions } from "@bizing/booking-sdk";

export async function page(dialog: HTMLDialogElement): Promise<IdleTimer> {
  await init();
  const ctx: EnvelopeContext = { tenantId: "t", bookingId: "b", field: "note", schemaVersion: 1 };
  const key = KeyPair.generate();
  const text: string = Envelope.seal("hi", ctx, [key.publicKey()]).openText(key, ctx);
  dialog.textContent = text;
  const options: IdleTimerOptions = {
    timeoutMs: 15 * 60_000,
    warnBeforeMs: 2 * 60_000,
    channelName: "bizing-idle",
    onWarn: (remainingMs: number, deadlineMs: number) => dialog.show() ?? void [remainingMs, deadlineMs],
    onExtend: (deadlineMs: number) => void deadlineMs,
    onTimeout: (reason: "idle" | "logout") => void reason,
  };
  const timer = new IdleTimer(options);
  const deadline: number | undefined = timer.deadlineMs;
  timer.extend();
  if (deadline === undefined) timer.stop();
  // @ts-expect-error: onTimeout is required
  new IdleTimer({ timeoutMs: 1000 });
  return timer;
}

export function logout(timer: IdleTimer): void {
  timer.logout();
}
