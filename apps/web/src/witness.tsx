/**
 * The second person of a two-person act types their own credentials into the same form: badge
 * GSRN + PIN, or username + password. Never a session token: the server verifies these itself,
 * for this act only, and throttles wrong ones like a sign-in.
 */
import { useState } from 'preact/hooks';
import { t } from './i18n/i18n';

export type WitnessCredentials = { badge: { gsrn: string; pin: string } } | { username: string; password: string };

export function useWitness() {
  const [mode, setMode] = useState<'badge' | 'password'>('badge');
  const [who, setWho] = useState('');
  const [secret, setSecret] = useState('');
  const value: WitnessCredentials | null =
    !who.trim() || !secret ? null : mode === 'badge' ? { badge: { gsrn: who.trim(), pin: secret } } : { username: who.trim(), password: secret };
  const reset = () => {
    setWho('');
    setSecret('');
  };
  const fields = (legend: string) => (
    <fieldset class="witness">
      <legend>{legend}</legend>
      <div class="row" role="radiogroup" aria-label={t('witness.signsWith')}>
        {(['badge', 'password'] as const).map((m) => (
          <label key={m} class={`pill ${mode === m ? 'on' : ''}`}>
            <input type="radio" name="witness-mode" value={m} checked={mode === m} onChange={() => setMode(m)} />
            {m === 'badge' ? t('witness.badgeMode') : t('witness.passwordMode')}
          </label>
        ))}
      </div>
      <label>
        {mode === 'badge' ? t('witness.badge') : t('witness.username')}
        <input
          name={mode === 'badge' ? 'witness-badge' : 'witness-username'}
          autoComplete="off"
          inputMode={mode === 'badge' ? 'numeric' : 'text'}
          value={who}
          onInput={(e) => setWho((e.target as HTMLInputElement).value)}
        />
      </label>
      <label>
        {mode === 'badge' ? t('witness.pin') : t('witness.password')}
        <input
          name={mode === 'badge' ? 'witness-pin' : 'witness-password'}
          type="password"
          autoComplete="off"
          inputMode={mode === 'badge' ? 'numeric' : 'text'}
          value={secret}
          onInput={(e) => setSecret((e.target as HTMLInputElement).value)}
        />
      </label>
    </fieldset>
  );
  return { value, touched: who !== '' || secret !== '', reset, fields };
}
