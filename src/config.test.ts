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

  it('takes the role from --role, either form', () => {
    expect(loadConfig({}, ['node', 'main', '--role', 'worker']).ROLE).toBe('worker');
    expect(loadConfig({}, ['node', 'main', '--role=api']).ROLE).toBe('api');
    expect(() => loadConfig({}, ['node', 'main', '--role', 'boss'])).toThrow(/Invalid setting --role/);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }, []).PORT).toBe(3000);
  });
});
