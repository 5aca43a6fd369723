/*
 * Names the user of every refused SASL login in the broker's security log (issue 8 point 6).
 *
 * Kafka logs a refused login with the client's address only ("Failed authentication with
 * /<address> (... invalid credentials ...)", logger org.apache.kafka.common.network.Selector),
 * and no logger level adds the user: the SCRAM and PLAIN servers never log it. This principal
 * builder is Kafka's default one (same principals, same serde for forwarding to controllers);
 * loading it puts a SASL server factory first among the JVM's security providers that wraps
 * Kafka's own SCRAM and PLAIN servers and, when one refuses a login, logs the user name the
 * client gave (never a password or a proof) on logger "backbone.kafka.auth", on the network
 * thread that logs the address in the next line. deploy/kafka/log4j2.properties sends both
 * loggers to auth.log.
 */
package backbone.kafka;

import java.nio.charset.StandardCharsets;
import java.security.Provider;
import java.security.Security;
import java.util.Map;
import javax.security.auth.callback.CallbackHandler;
import javax.security.sasl.SaslException;
import javax.security.sasl.SaslServer;
import javax.security.sasl.SaslServerFactory;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder;
import org.apache.kafka.common.security.plain.internals.PlainSaslServer;
import org.apache.kafka.common.security.scram.internals.ScramSaslServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

public final class FailedLoginLogger extends DefaultKafkaPrincipalBuilder {
    static final Logger LOG = LoggerFactory.getLogger("backbone.kafka.auth");
    static final int MAX_NAME = 128;

    static {
        Security.insertProviderAt(new WrappingProvider(), 1);
    }

    public FailedLoginLogger() {
        super(null, null); // Kerberos and TLS name mapping are not used by this broker
    }

    static final class WrappingProvider extends Provider {
        WrappingProvider() {
            super("BackboneFailedLoginLogger", "1.0", "names the user of refused SASL logins");
            for (String mechanism : new String[] {"SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"}) {
                put("SaslServerFactory." + mechanism, Factory.class.getName());
            }
        }
    }

    public static final class Factory implements SaslServerFactory {
        @Override
        public SaslServer createSaslServer(String mechanism, String protocol, String serverName,
                Map<String, ?> props, CallbackHandler handler) throws SaslException {
            SaslServerFactory inner = "PLAIN".equals(mechanism)
                    ? new PlainSaslServer.PlainSaslServerFactory()
                    : new ScramSaslServer.ScramSaslServerFactory();
            SaslServer server = inner.createSaslServer(mechanism, protocol, serverName, props, handler);
            return server == null ? null : new Logged(server);
        }

        @Override
        public String[] getMechanismNames(Map<String, ?> props) {
            return new String[] {"SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"};
        }
    }

    static final class Logged implements SaslServer {
        private final SaslServer inner;
        private String user = "";

        Logged(SaslServer inner) {
            this.inner = inner;
        }

        @Override
        public byte[] evaluateResponse(byte[] response) throws SaslException {
            if (user.isEmpty()) {
                user = userIn(inner.getMechanismName(), response);
            }
            try {
                return inner.evaluateResponse(response);
            } catch (SaslException | AuthenticationException refused) {
                LOG.warn("Refused {} login for user = {}", inner.getMechanismName(), printable(user));
                throw refused;
            }
        }

        @Override public String getMechanismName() { return inner.getMechanismName(); }
        @Override public boolean isComplete() { return inner.isComplete(); }
        @Override public String getAuthorizationID() { return inner.getAuthorizationID(); }
        @Override public byte[] unwrap(byte[] in, int off, int len) throws SaslException { return inner.unwrap(in, off, len); }
        @Override public byte[] wrap(byte[] out, int off, int len) throws SaslException { return inner.wrap(out, off, len); }
        @Override public Object getNegotiatedProperty(String name) { return inner.getNegotiatedProperty(name); }
        @Override public void dispose() throws SaslException { inner.dispose(); }
    }

    /** The user name of a client's first message: SCRAM "n,,n=NAME,r=..." or PLAIN "authzid\0NAME\0password". */
    static String userIn(String mechanism, byte[] response) {
        String text = new String(response, StandardCharsets.UTF_8);
        if ("PLAIN".equals(mechanism)) {
            String[] parts = text.split("\u0000", -1);
            return parts.length == 3 ? parts[1] : "";
        }
        for (String field : text.split(",")) {
            if (field.startsWith("n=")) {
                return field.substring(2).replace("=2C", ",").replace("=3D", "=");
            }
        }
        return "";
    }

    static String printable(String name) {
        StringBuilder shown = new StringBuilder();
        for (int i = 0; i < name.length() && shown.length() < MAX_NAME; i++) {
            char c = name.charAt(i);
            shown.append(c >= 0x20 && c != 0x7f ? c : '?');
        }
        return name.isEmpty() ? "(none)" : shown.toString();
    }
}
