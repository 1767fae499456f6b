package org.fusekicdc.sink.nats;

import java.io.IOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;

/** A JetStream publish that waits for its acknowledgement no longer than its connection lasts. */
final class Acknowledgements {
    /** How often a wait for an acknowledgement checks that the connection is still up. */
    private static final long CONNECTION_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private Acknowledgements() {}

    /**
     * Publish and wait for the stream's acknowledgement, up to the publish timeout, but no longer
     * than the connection lasts: a request whose connection dropped is never answered, and
     * waiting out the timeout would only delay the retry.
     */
    static PublishAck publishAndWait(JetStream js, Connection connection, NatsSinkConfig config, Headers headers, byte[] value,
                                     PublishOptions publishOptions) throws JetStreamApiException, IOException, InterruptedException {
        CompletableFuture<PublishAck> ack = js.publishAsync(config.subject(), headers, value, publishOptions);
        return await(ack, connection, System.nanoTime() + config.publishTimeout().toNanos());
    }

    /**
     * Wait for the acknowledgement of a publish made before, until {@code deadline}
     * ({@link System#nanoTime()}), but no longer than the connection lasts.
     */
    static PublishAck await(CompletableFuture<PublishAck> ack, Connection connection, long deadline)
        throws JetStreamApiException, IOException, InterruptedException {
        try {
            while ( true ) {
                long left = deadline - System.nanoTime();
                if ( left <= 0 )
                    throw new IOException("Timeout or no response waiting for NATS JetStream server");
                try {
                    return ack.get(Math.min(left, CONNECTION_CHECK_NANOS), TimeUnit.NANOSECONDS);
                } catch (TimeoutException ex) {
                    if ( connection.getStatus() != Connection.Status.CONNECTED )
                        throw new IllegalStateException("connection " + connection.getStatus().toString().toLowerCase(java.util.Locale.ROOT)
                                                        + " while waiting for the acknowledgement");
                }
            }
        } catch (CancellationException ex) {
            throw new IOException("Timeout or no response waiting for NATS JetStream server", ex);
        } catch (ExecutionException ex) {
            Throwable cause = ex.getCause();
            // publishAsync wraps the checked exceptions of the acknowledgement in a RuntimeException.
            if ( !(cause instanceof CancellationException) && cause instanceof RuntimeException && cause.getCause() != null )
                cause = cause.getCause();
            if ( cause instanceof CancellationException )
                throw new IOException("Timeout or no response waiting for NATS JetStream server", cause);
            if ( cause instanceof JetStreamApiException jex )
                throw jex;
            if ( cause instanceof IOException iox )
                throw iox;
            if ( cause instanceof RuntimeException rex )
                throw rex;
            throw new IOException(cause);
        } finally {
            ack.cancel(false);
        }
    }
}
