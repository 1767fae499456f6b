package org.fusekicdc.sink.pulsar;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.pulsar.client.api.AuthenticationFactory;
import org.apache.pulsar.client.api.ClientBuilder;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The client a sink or a topic reader uses: small thread pools, the configured timeouts. */
final class PulsarClients {
    private static final Logger LOG = LoggerFactory.getLogger(PulsarClients.class);

    private PulsarClients() {}

    /** @param token a JWT, or null for none */
    static PulsarClient create(String serviceUrl, String token, Duration connectTimeout, Duration operationTimeout) throws PulsarClientException {
        ClientBuilder b = PulsarClient.builder()
                                      .serviceUrl(serviceUrl)
                                      .connectionTimeout((int)connectTimeout.toMillis(), TimeUnit.MILLISECONDS)
                                      // Lookups and producer creation; a publish has its own send timeout.
                                      .operationTimeout((int)Math.max(connectTimeout.toMillis(), 1000), TimeUnit.MILLISECONDS)
                                      .lookupTimeout((int)Math.max(connectTimeout.toMillis(), 1000), TimeUnit.MILLISECONDS)
                                      .ioThreads(1)
                                      .listenerThreads(1)
                                      .enableTcpNoDelay(true);
        if ( token != null )
            b.authentication(AuthenticationFactory.token(token));
        return b.build();
    }

    /**
     * The result of an asynchronous client call, waiting at most {@code timeout}; the client's
     * own exceptions come out as they are, a wait that runs out as a {@link PulsarClientException.TimeoutException}.
     */
    static <T> T await(CompletableFuture<T> future, Duration timeout, String what) throws PulsarClientException {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            future.cancel(true);
            throw new PulsarClientException("interrupted while " + what);
        } catch (TimeoutException ex) {
            future.cancel(true);
            throw new PulsarClientException.TimeoutException(what + " took longer than " + timeout.toSeconds() + " s");
        } catch (ExecutionException ex) {
            Throwable cause = ex.getCause();
            while ( cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null )
                cause = cause.getCause();
            if ( cause instanceof PulsarClientException p )
                throw p;
            throw new PulsarClientException(cause);
        }
    }

    /** Close without waiting longer than {@code timeout}: a broker that is away must not hold up a reconnect. */
    static void close(PulsarClient client, Duration timeout) {
        try {
            client.closeAsync().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException ex) {
            LOG.debug("closing Pulsar client: {}", ex.toString());
            try {
                client.shutdown();
            } catch (PulsarClientException ignored) {
                // Its threads end with the process at worst.
            }
        }
    }
}
