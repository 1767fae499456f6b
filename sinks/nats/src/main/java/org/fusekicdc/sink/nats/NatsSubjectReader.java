package org.fusekicdc.sink.nats;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.topic.TopicReader;

/**
 * A follower's topic reader: the JetStream subject a leader's {@link NatsSink} writes, read with
 * {@link NatsPatchReader} (an ordered consumer: no durable state on the server; the follower's
 * position is its own change log's head).
 */
public final class NatsSubjectReader implements TopicReader {
    private static final Set<String> OPTION_NAMES = Set.of(NatsSinkConfig.URL.name(), NatsSinkConfig.SUBJECT.name(), NatsSinkConfig.STREAM.name(),
                                                           NatsSinkConfig.USER_ENV.name(), NatsSinkConfig.PASSWORD_ENV.name(), NatsSinkConfig.TOKEN_ENV.name(),
                                                           NatsSinkConfig.CREDS_FILE_ENV.name(), NatsSinkConfig.CONNECT_TIMEOUT_SECONDS.name());
    /** The connection options a NATS sink has, minus those about publishing and the stream's creation. */
    public static final List<Option<?>> OPTIONS = NatsSinkConfig.OPTIONS.stream().filter(o -> OPTION_NAMES.contains(o.name())).toList();

    private static final Duration END_CHECK = Duration.ofMillis(500);

    private final String leaderDataset;
    private final List<String> servers;
    private final String subject;
    private final String stream;
    private final NatsSinkConfig.Credentials credentials;
    private final Duration connectTimeout;
    private final Path workDir;
    private Connection connection;
    private NatsPatchReader reader;

    NatsSubjectReader(String leaderDataset, OptionValues options, Function<String, String> environment, Path workDir) {
        this.leaderDataset = leaderDataset;
        this.servers = NatsSinkConfig.servers(options);
        this.subject = options.string(NatsSinkConfig.SUBJECT.name(), NatsSinkConfig.defaultSubject(leaderDataset));
        this.stream = options.string(NatsSinkConfig.STREAM.name(), NatsSinkConfig.defaultStream(leaderDataset));
        this.credentials = NatsSinkConfig.credentials(options, environment);
        this.connectTimeout = Duration.ofSeconds(options.number(NatsSinkConfig.CONNECT_TIMEOUT_SECONDS.name(),
                                                                NatsSinkConfig.DEFAULT_CONNECT_TIMEOUT_SECONDS, 1, 3600));
        this.workDir = workDir;
    }

    @Override
    public String describe() {
        return "JetStream subject " + subject + " (stream " + stream + ") at " + String.join(",", servers);
    }

    @Override
    public void open(long afterVersion) throws Exception {
        close();
        Options.Builder b = new Options.Builder().servers(servers.toArray(String[]::new))
                                                 .connectionName("fuseki-cdc follower of " + leaderDataset)
                                                 .connectionTimeout(connectTimeout)
                                                 // The follower reopens after a failure, after its own head.
                                                 .noReconnect();
        switch (credentials.kind()) {
            case USER_PASSWORD -> b.userInfo(credentials.user().toCharArray(), credentials.secret().toCharArray());
            case TOKEN -> b.token(credentials.secret().toCharArray());
            case CREDS_FILE -> b.authHandler(Nats.credentials(credentials.credsFile().toString()));
            case NONE -> {}
        }
        connection = Nats.connect(b.build());
        reader = new NatsPatchReader(connection, stream, subject, afterVersion, workDir);
    }

    @Override
    public Optional<Incoming> poll(Duration timeout) throws Exception {
        if ( connection.getStatus() == Connection.Status.CLOSED || connection.getStatus() == Connection.Status.DISCONNECTED )
            throw new IllegalStateException("the connection to " + String.join(",", servers) + " was lost");
        return reader.nextMessage(timeout);
    }

    /**
     * A round trip to the server: an ordered consumer that got nothing while the server answers
     * has nothing waiting for it; a connection that does not answer is no confirmation (a stalled
     * network keeps the connection open until its pings fail, minutes later).
     */
    @Override
    public boolean confirmedAtEnd() throws InterruptedException {
        try {
            connection.flush(END_CHECK);
            return true;
        } catch (TimeoutException ex) {
            return false;
        }
    }

    @Override
    public void close() {
        if ( reader != null ) {
            reader.close();
            reader = null;
        }
        if ( connection != null ) {
            try {
                connection.close();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            connection = null;
        }
    }
}
