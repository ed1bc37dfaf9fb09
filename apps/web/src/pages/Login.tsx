import { useState } from 'preact/hooks';
import { api } from '../api';
import { homeOf, saveSession, sessionOf, type TokenAnswer } from '../session';
import { t } from '../i18n/i18n';
import { LanguageSwitch } from './Header';

export function Login() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const s = sessionOf(await api<TokenAnswer>('POST', '/api/auth/login', { username, password }));
      saveSession(s);
      location.hash = homeOf(s);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <form onSubmit={(e) => void submit(e)} class="panel">
        <h1>MedLoop</h1>
        <p class="muted">{t('login.intro')}</p>
        <LanguageSwitch />
        <label>
          {t('login.username')}
          <input name="username" autocomplete="username" value={username} onInput={(e) => setUsername((e.target as HTMLInputElement).value)} required />
        </label>
        <label>
          {t('login.password')}
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
            required
          />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button class="primary" type="submit" disabled={busy}>
          {t('login.submit')}
        </button>
      </form>
    </main>
  );
}
