// The browser entry's extras (IdleTimer, openNotes) plus a round trip, resolved with the
// `browser` condition. Checked by `tsc --noEmit`; never run.
import { Envelope, ErrorCode, IdleTimer, KeyPair, init, openNotes } from "@bizing/booking-sdk";
import type { Booking, EnvelopeContext, IdleTimerOptions, OpenNotesItem, OpenNotesOptions } from "@bizing/booking-sdk";

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

/** A long history's notes, opened in workers: text, or null where a note cannot be read. */
export async function history(key: KeyPair, bookings: Booking[]): Promise<(string | null)[]> {
  const notes: OpenNotesItem[] = bookings.flatMap((b) =>
    b.note ? [{ sealed: b.note, context: { tenantId: b.tenantId, bookingId: b.id, field: "note", schemaVersion: 1 } }] : [],
  );
  const options: OpenNotesOptions = { workers: 4 };
  const opened = await openNotes(key, notes, options);
  // @ts-expect-error: the notes must say their context
  await openNotes(key, [{ sealed: "bze1.…" }]);
  const failures: ErrorCode[] = opened.flatMap((r) => (typeof r === "string" ? [] : [r.code]));
  if (failures.includes(ErrorCode.KeyZeroized)) throw new Error("signed out");
  return opened.map((r) => (typeof r === "string" ? r : null));
}
