import { describe, expect, it } from 'vitest';
import { actionLabel } from '../../web/src/actions.js';
import { LOCALES, loadCatalogs } from '../platform/i18n/i18n.service.js';

const catalogs = loadCatalogs();

/** What `locale`'s web catalog holds at `key`. */
function textAt(locale: (typeof LOCALES)[number], key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), catalogs[locale].web);
}

/** Whether `locale`'s web catalog has a label at a key (as i18next's exists() answers in the app). */
const inCatalog = (locale: (typeof LOCALES)[number]) => (key: string) => typeof textAt(locale, key) === 'string';

describe('an activity-log action in the feed', () => {
  it('reads as its event type when the catalog has a label for it', () => {
    expect(actionLabel('auth.registered', inCatalog('en'))).toEqual({ key: 'actions.auth_registered' });
    expect(actionLabel('transfer.confirmed', inCatalog('ja'))).toEqual({ key: 'actions.transfer_confirmed' });
  });

  it("reads in the doer's words in the doer's own log, where the event has such a label", () => {
    expect(actionLabel('auth.user_disabled', inCatalog('en'), 'actor')).toEqual({ key: 'actions.auth_user_disabled_actor' });
    expect(actionLabel('auth.user_disabled', inCatalog('fr'), 'subject')).toEqual({ key: 'actions.auth_user_disabled' });
    expect(actionLabel('auth.role_changed', inCatalog('ja'), 'actor')).toEqual({ key: 'actions.auth_role_changed_actor' });
    expect(actionLabel('transfer.confirmed', inCatalog('en'), 'actor')).toEqual({ key: 'actions.transfer_confirmed' });
  });

  it('reads as a custom event named by the client for an event the client logged itself', () => {
    expect(actionLabel('client.csvtest', inCatalog('en'))).toEqual({ key: 'activity.customEvent', name: 'csvtest' });
    expect(actionLabel('client.pet.photo-shared', inCatalog('de'))).toEqual({ key: 'activity.customEvent', name: 'pet.photo-shared' });
  });

  it('never takes the label of an event type for a client event that copies its name', () => {
    expect(actionLabel('client.auth.registered', () => true)).toEqual({ key: 'activity.customEvent', name: 'auth.registered' });
  });

  it('reads as another event under its type when the catalog has no label for it (one the server added since)', () => {
    expect(actionLabel('pet.teleported', inCatalog('en'))).toEqual({ key: 'activity.otherEvent', name: 'pet.teleported' });
  });

  it('has both generic labels, with the name, in every locale', () => {
    for (const locale of LOCALES) {
      for (const key of ['activity.customEvent', 'activity.otherEvent']) expect(textAt(locale, key), `${locale} ${key}`).toEqual(expect.stringContaining('{{name}}'));
    }
  });
});
