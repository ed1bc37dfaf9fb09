import type { ComponentChildren } from 'preact';
import type { LinkState } from '../live';
import { signOut } from '../api';
import { closeLive } from '../live';
import type { Session } from '../session';
import { LinkBadge } from '../ui';
import { LANGUAGES, language, setLanguage, t } from '../i18n/i18n';

/** 中文 / English, each in its own language; the choice is kept for this browser. */
export function LanguageSwitch() {
  const current = language();
  return (
    <span class="lang-switch" role="group" aria-label={t('header.language')}>
      {LANGUAGES.map((l) => (
        <button
          key={l.code}
          lang={l.code}
          class={l.code === current ? 'on' : ''}
          aria-pressed={l.code === current}
          data-lang={l.code}
          onClick={() => setLanguage(l.code)}
        >
          {l.label}
        </button>
      ))}
    </span>
  );
}

export function Header(props: { session: Session; title: string; link: LinkState; children?: ComponentChildren }) {
  const u = props.session.user;
  return (
    <header class="top">
      <strong class="brand">MedLoop</strong>
      <span class="title">{props.title}</span>
      {props.children}
      <span class="spacer" />
      <LinkBadge link={props.link} />
      <span class="muted who">
        {u.username} · {t(`role.${u.role}`, { defaultValue: u.role.replace('_', ' ') })}
      </span>
      <LanguageSwitch />
      <button
        onClick={() => {
          closeLive();
          void signOut();
        }}
      >
        {t('header.signOut')}
      </button>
    </header>
  );
}
