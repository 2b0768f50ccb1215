/** The prefix of the actions the client logged itself (POST /activity `{action}` is logged as `client.<action>`). */
const CLIENT_PREFIX = 'client.';

/**
 * How an activity-log entry's action reads: a known event type with its own label (`actions.<type>`, dots
 * as underscores), or a generic label with the raw name beside it, to show as user-provided text (<bdi>).
 */
export type ActionLabel =
  | { key: string; name?: undefined }
  | { key: 'activity.customEvent' | 'activity.otherEvent'; name: string };

/**
 * The label of an activity-log action. An event the client logged itself (`client.csvtest`) reads as a
 * custom event named by what the client sent (`csvtest`), even when that name copies an event type's
 * (`client.auth.registered` must not read "Created your account"); an event type the catalog has no label
 * for (one the server added since) reads as another event under its type. `hasKey` says whether the catalog
 * has a label for a key; `role` whether the reader did it (the actor's own label, where there is one).
 */
export function actionLabel(action: string, hasKey: (key: string) => boolean, role: 'actor' | 'subject' | null = null): ActionLabel {
  if (action.startsWith(CLIENT_PREFIX)) return { key: 'activity.customEvent', name: action.slice(CLIENT_PREFIX.length) };
  const key = `actions.${action.replace(/\./g, '_')}`;
  // an event done to someone reads differently in its doer's log (`<key>_actor`: "You disabled an account")
  if (action && role === 'actor' && hasKey(`${key}_actor`)) return { key: `${key}_actor` };
  if (action && hasKey(key)) return { key };
  return { key: 'activity.otherEvent', name: action };
}
