package org.fusekicdc.sink.pulsar;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Reader;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.topic.TopicReader;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchReassembler;

/**
 * A follower's topic reader: the Pulsar topic a leader's {@link PulsarSink} writes, read from its
 * start with a non-durable {@link Reader} (no subscription state on the broker: the follower's
 * position is its own change log's head); versions up to that head are skipped.
 */
public final class PulsarTopicReader implements TopicReader {
    private static final Set<String> OPTION_NAMES = Set.of(PulsarSinkConfig.URL.name(), PulsarSinkConfig.TOPIC.name(), PulsarSinkConfig.TOKEN_ENV.name(),
                                                           PulsarSinkConfig.CONNECT_TIMEOUT_SECONDS.name());
    /** The connection options a Pulsar sink has, minus those about publishing. */
    public static final List<Option<?>> OPTIONS = PulsarSinkConfig.OPTIONS.stream().filter(o -> OPTION_NAMES.contains(o.name())).toList();

    private static final Duration END_CHECK = Duration.ofMillis(500);

    private final String serviceUrl;
    private final String topic;
    private final String token;
    private final Duration connectTimeout;
    private final Path workDir;
    private PulsarClient client;
    private Reader<byte[]> reader;
    private PatchReassembler assembler;
    /** Reading starts at a patch's first part: earlier parts of a patch may have been removed by retention. */
    private boolean aligned;

    PulsarTopicReader(String leaderDataset, OptionValues options, Function<String, String> environment, Path workDir) {
        this.serviceUrl = PulsarSinkConfig.serviceUrl(options);
        this.topic = PulsarSinkConfig.topic(options, leaderDataset);
        this.token = PulsarSinkConfig.token(options, environment);
        this.connectTimeout = Duration.ofSeconds(options.number(PulsarSinkConfig.CONNECT_TIMEOUT_SECONDS));
        this.workDir = workDir;
    }

    @Override
    public String describe() {
        return "Pulsar topic " + topic + " at " + serviceUrl;
    }

    @Override
    public void open(long afterVersion) throws Exception {
        close();
        client = PulsarClients.create(serviceUrl, token, connectTimeout, connectTimeout);
        reader = PulsarClients.await(client.newReader().topic(topic).startMessageId(MessageId.earliest).createAsync(), connectTimeout,
                                     "opening a reader of topic " + topic);
        assembler = new PatchReassembler(workDir, afterVersion);
        aligned = false;
    }

    @Override
    public Optional<Incoming> poll(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while ( true ) {
            long left = deadline - System.nanoTime();
            Message<byte[]> m;
            if ( left <= 0 ) {
                // Past the deadline (at once for a zero timeout): what the reader holds already, without
                // waiting, so that a follower gathers a backlog into one store transaction.
                m = reader.readNext(0, TimeUnit.MILLISECONDS);
                if ( m == null )
                    return Optional.empty();
            } else {
                m = reader.readNext((int)Math.max(TimeUnit.NANOSECONDS.toMillis(left), 1), TimeUnit.MILLISECONDS);
                if ( m == null )
                    continue;  // the deadline decides
            }
            String position = "message " + m.getMessageId();
            Map<String, String> headers = m.getProperties();
            byte[] data = m.getData() == null ? new byte[0] : m.getData();
            if ( !headers.containsKey(PatchMessages.VERSION) )
                return Optional.of(new ForeignMessage(position, headers, data, "not a fuseki-cdc patch (no " + PatchMessages.VERSION + " property)"));
            if ( !aligned ) {
                if ( !"0".equals(headers.getOrDefault(PatchMessages.PART, "0")) )
                    continue;
                aligned = true;
            }
            Optional<PatchReassembler.Patch> p;
            try {
                p = assembler.offer(headers, data);
            } catch (IllegalArgumentException ex) {
                return Optional.of(new ForeignMessage(position, headers, data, ex.getMessage()));
            }
            if ( p.isPresent() )
                return Optional.of(new PatchMessage(p.get(), position));
        }
    }

    /** Asks the broker whether anything follows what the reader has read: no answer in time is no confirmation. */
    @Override
    public boolean confirmedAtEnd() throws InterruptedException {
        try {
            return !reader.hasMessageAvailableAsync().get(END_CHECK.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException ex) {
            return false;
        }
    }

    @Override
    public void close() {
        if ( assembler != null ) {
            assembler.close();
            assembler = null;
        }
        if ( reader != null ) {
            reader.closeAsync();
            reader = null;
        }
        if ( client != null ) {
            PulsarClients.close(client, connectTimeout);
            client = null;
        }
    }
}
