/** The MedLoop web UI: a hash router over the three consoles, behind the login. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { keepSessionFresh } from './api';
import { Login } from './pages/Login';
import { NurseStation } from './pages/NurseStation';
import { PharmacistConsole } from './pages/PharmacistConsole';
import { WardRound } from './pages/WardRound';
import { homeOf, loadSession } from './session';
import './styles.css';
import { useLanguage } from './i18n/i18n';

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function App() {
  const hash = useHash();
  // a language switch re-renders the whole UI in the other language (state kept)
  useLanguage();
  const session = loadSession();
  if (!session || hash === '#/login') return <Login />;
  const [, page, arg] = hash.split('/');
  const param = arg ? decodeURIComponent(arg) : null;
  switch (page) {
    case 'nurse': {
      const ward = param && session.user.wards.includes(param) ? param : (param ?? session.user.wards[0]);
      if (ward) return <NurseStation key={ward} session={session} ward={ward} />;
      break;
    }
    case 'pharmacy':
      return <PharmacistConsole session={session} />;
    case 'rounds':
      return <WardRound key={param ?? ''} session={session} ward={param} />;
  }
  location.hash = homeOf(session);
  return null;
}

keepSessionFresh();
render(<App />, document.getElementById('app')!);
