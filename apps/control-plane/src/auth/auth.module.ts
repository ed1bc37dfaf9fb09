import { Global, Module } from '@nestjs/common';
import { AlarmsModule } from '../alarms/alarms.module.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { LoginAttempts } from './login-attempts.service.js';
import { AuthSessions } from './sessions.service.js';
import { UserSessionsController } from './user-sessions.controller.js';
import { WitnessVerifier } from './witness-verifier.service.js';

/**
 * Sign-in and token verification, one instance for the whole app: without JWT_SECRET the
 * signing key is random per AuthService, so a second instance could not verify the first's
 * tokens (websocket handshakes). LoginAttempts is shared for the same reason: HTTP sign-in,
 * MQTT CONNECT, badge PINs and witness credentials (WitnessVerifier) count failures in one place.
 */
@Global()
@Module({
  imports: [AlarmsModule],
  controllers: [AuthController, UserSessionsController],
  providers: [AuthService, AuthSessions, LoginAttempts, WitnessVerifier],
  exports: [AuthService, AuthSessions, LoginAttempts, WitnessVerifier],
})
export class AuthModule {}
