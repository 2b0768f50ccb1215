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
 * has a label for a key.
 */
export function actionLabel(action: string, hasKey: (key: string) => boolean): ActionLabel {
  if (action.startsWith(CLIENT_PREFIX)) return { key: 'activity.customEvent', name: action.slice(CLIENT_PREFIX.length) };
  const key = `actions.${action.replace(/\./g, '_')}`;
  if (action && hasKey(key)) return { key };
  return { key: 'activity.otherEvent', name: action };
}
