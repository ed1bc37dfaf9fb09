import type { ComponentChildren } from 'preact';
import type { LinkState } from '../live';
import { signOut } from '../api';
import { closeLive } from '../live';
import type { Session } from '../session';
import { LinkBadge } from '../ui';

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
        {u.username} · {u.role.replace('_', ' ')}
      </span>
      <button
        onClick={() => {
          closeLive();
          void signOut();
        }}
      >
        Sign out
      </button>
    </header>
  );
}
