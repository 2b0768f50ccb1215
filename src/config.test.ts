import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('config', () => {
  it('has working defaults with nothing set', () => {
    const c = loadConfig({}, []);
    expect(c.PORT).toBe(3000);
    expect(c.DATA_DIR).toBe('./data');
    expect(c.ROLE).toBe('all');
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.RATE_LIMIT_STRICT).toBe(10);
  });

  it('names the variable in a one-line message when a setting is wrong', () => {
    expect(() => loadConfig({ PORT: 'eighty' }, [])).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' }, [])).toThrow(/^Invalid setting PORT: /);
    expect(() => loadConfig({ DATABASE_URL: 'not a url' }, [])).toThrow(/Invalid setting DATABASE_URL/);
    expect(() => loadConfig({ WALLET_MASTER_KEY: 'short' }, [])).toThrow(/Invalid setting WALLET_MASTER_KEY: must be 64 hex/);
    for (const fee of ['0', '0.0', 'ten', '-1', '1.0000000001', '1e3']) expect(() => loadConfig({ MAX_FEE_PER_GAS_GWEI: fee }, [])).toThrow(/Invalid setting MAX_FEE_PER_GAS_GWEI/);
    expect(loadConfig({ MAX_FEE_PER_GAS_GWEI: '0.005' }, []).MAX_FEE_PER_GAS_GWEI).toBe('0.005');
    try {
      loadConfig({ LOG_LEVEL: 'loud' }, []);
    } catch (err) {
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('requires SMTP_URL and PUBLIC_URL in production, where mail must reach people and its links lead back', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' }, [])).toThrow(/^Invalid setting SMTP_URL: required when NODE_ENV=production \(/);
    expect(() => loadConfig({ NODE_ENV: 'production', SMTP_URL: 'smtps://u:p@mail.example.com' }, [])).toThrow(/^Invalid setting PUBLIC_URL: required when NODE_ENV=production/);
    const prod = { NODE_ENV: 'production', SMTP_URL: 'smtps://u:p@mail.example.com', PUBLIC_URL: 'https://pets.example.com' };
    expect(loadConfig(prod, []).PUBLIC_URL).toBe('https://pets.example.com');
    expect(loadConfig({}, []).SMTP_URL).toBeUndefined();
  });

  it('reads CORS_ORIGINS as a list of origins and stops start-up on an entry that is not one', () => {
    expect(loadConfig({}, []).CORS_ORIGINS).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173,' }, []).CORS_ORIGINS).toEqual(['https://app.example.com', 'http://localhost:5173']);
    for (const wrong of ['https://app.example.com/', 'https://app.example.com/app', 'app.example.com', '*', 'https://App.example.com', 'https://app.example.com:443', 'ftp://files.example.com']) {
      expect(() => loadConfig({ CORS_ORIGINS: `https://ok.example.com,${wrong}` }, [])).toThrow(`Invalid setting CORS_ORIGINS: "${wrong}" is not an origin`);
    }
  });

  it('reads TRUST_PROXY as off, a number of proxy hops (true is one) or a list of proxy addresses', () => {
    const trust = (value: string) => loadConfig({ TRUST_PROXY: value }, []).TRUST_PROXY;
    expect(loadConfig({}, []).TRUST_PROXY).toBe(false);
    for (const off of ['false', '0', 'no']) expect(trust(off)).toBe(false);
    for (const one of ['true', 'yes', '1']) expect(trust(one)).toBe(1);
    expect(trust('2')).toBe(2);
    expect(trust('10.0.0.5, 10.1.0.0/16,::1, fd00::/8,loopback')).toEqual(['10.0.0.5', '10.1.0.0/16', '::1', 'fd00::/8', 'loopback']);
    for (const wrong of ['maybe', '10.0.0.0/33', '10.0.0', '10.0.0.1/8/8', 'nginx.internal', '::1/129']) {
      expect(() => trust(`127.0.0.1,${wrong}`)).toThrow(`Invalid setting TRUST_PROXY: "${wrong}" is not false, true, a number of hops`);
    }
    expect(() => trust('11')).toThrow('Invalid setting TRUST_PROXY: must be at most 10 proxy hops');
  });

  it('takes the role from --role, either form, and refuses --role without a value', () => {
    expect(loadConfig({}, ['node', 'main', '--role', 'worker']).ROLE).toBe('worker');
    expect(loadConfig({}, ['node', 'main', '--role=api']).ROLE).toBe('api');
    expect(() => loadConfig({}, ['node', 'main', '--role', 'boss'])).toThrow(/Invalid setting --role/);
    expect(() => loadConfig({}, ['node', 'main', '--role='])).toThrow(/Invalid setting --role/);
    for (const argv of [['--role'], ['--role', '--inspect']]) {
      expect(() => loadConfig({ ROLE: 'api' }, ['node', 'main', ...argv])).toThrow('Invalid setting --role: needs a value (api, worker or all)');
    }
  });

  it('accepts each URL setting only with its schemes, in one line naming the setting and never quoting the value', () => {
    const refused: Array<[string, string, string]> = [
      ['REDIS_URL', 'localhost:6379', 'redis:// or rediss://'],
      ['REDIS_URL', 'http://:hunter2-secret@cache.example.com:6379', 'redis:// or rediss://'],
      ['DATABASE_URL', 'mysql://app:hunter2-secret@db.example.com/app', 'postgres:// or postgresql://'],
      ['DATABASE_URL', 'db.example.com:5432', 'postgres:// or postgresql://'],
      ['CHAIN_RPC_URL', 'wss://base-sepolia.example.com/v2/hunter2-secret', 'http:// or https://'],
      ['CHAIN_RPC_URL', 'ftp://rpc.example.com', 'http:// or https://'],
      ['PUBLIC_URL', 'pets.example.com', 'http:// or https://'],
      ['SMTP_URL', 'mailto:ops@example.com', 'smtp:// or smtps://'],
      ['SMTP_URL', 'https://user:hunter2-secret@mail.example.com', 'smtp:// or smtps://'],
      ['OPENAI_BASE_URL', 'file:///etc/passwd', 'http:// or https://'],
    ];
    for (const [name, value, schemes] of refused) {
      const error = (() => {
        try {
          loadConfig({ [name]: value }, []);
        } catch (err) {
          return err as Error;
        }
        return null;
      })();
      expect(error, `${name}=${value}`).toBeInstanceOf(ConfigError);
      expect(error!.message).toMatch(new RegExp(`^Invalid setting ${name}: must be a URL starting with ${schemes.replace(/\//g, '\\/')}`));
      expect(error!.message).not.toContain('hunter2');
      expect(error!.message).not.toContain('\n');
    }
    const accepted = {
      REDIS_URL: 'rediss://:pw@cache.example.com:6380/2',
      DATABASE_URL: 'postgres://user:pass@localhost/db?host=/var/run/postgresql',
      CHAIN_RPC_URL: 'https://base-sepolia.g.alchemy.com/v2/key',
      PUBLIC_URL: 'http://localhost:3000',
      SMTP_URL: 'smtps://user:pass@mail.example.com',
      OPENAI_BASE_URL: 'https://api.example.com/v1',
    };
    expect(loadConfig(accepted, [])).toMatchObject(accepted);
    expect(loadConfig({ REDIS_URL: 'redis://localhost:6379', DATABASE_URL: 'postgresql://app@db.example.com:5432/app', CHAIN_RPC_URL: 'http://127.0.0.1:8545', SMTP_URL: 'smtp://localhost:25' }, [])).toBeTruthy();
  });

  it('reads whole-number settings from digits only, never coercing blanks, hex, exponents or decimals', () => {
    expect(loadConfig({ PORT: '8080', CONFIRMATIONS: '0', MAX_HEAP_USED_BYTES: '536870912' }, [])).toMatchObject({ PORT: 8080, CONFIRMATIONS: 0, MAX_HEAP_USED_BYTES: 536870912 });
    expect(loadConfig({ PORT: '0' }, []).PORT).toBe(0);
    const names = ['PORT', 'DB_POOL_MAX', 'BODY_LIMIT_BYTES', 'RATE_LIMIT_STRICT', 'RATE_LIMIT_WINDOW_MS', 'MAX_EVENT_LOOP_DELAY_MS', 'SHUTDOWN_TIMEOUT_MS', 'ACCESS_TOKEN_TTL_SECONDS', 'OPENAI_TIMEOUT_MS', 'CONFIRMATIONS', 'NOTIFICATION_TTL_DAYS'];
    for (const name of names) {
      for (const wrong of [' ', '  \t', '0x10', '1e3', '2000.0', '2000.5', '-1', '+5', ' 3000', 'Infinity', '9007199254740993']) {
        expect(() => loadConfig({ [name]: wrong }, []), `${name}=${JSON.stringify(wrong)}`).toThrow(new RegExp(`^Invalid setting ${name}: must be `));
      }
    }
    expect(() => loadConfig({ PORT: '65536' }, [])).toThrow('Invalid setting PORT: must be at most 65535');
    expect(() => loadConfig({ DB_POOL_MAX: '0' }, [])).toThrow('Invalid setting DB_POOL_MAX: must be at least 1');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }, []).PORT).toBe(3000);
  });
});
