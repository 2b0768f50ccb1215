import { AppError } from '../platform/http/http.errors.js';

/** Error codes of the notifications domain (titles and details in locales/*.json under errors.<code>). */
export const notificationErrors = {
  notFound: (id: string) => new AppError(404, 'notification_not_found', { id }),
  notMutable: (type: string) =>
    new AppError(422, 'notification_type_not_mutable', { type }, [{ field: `body.muted.${type}`, message: 'validation.not_mutable', code: 'not_mutable' }]),
};
