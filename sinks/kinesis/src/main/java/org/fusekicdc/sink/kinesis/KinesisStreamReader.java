package org.fusekicdc.sink.kinesis;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.topic.TopicReader;
import org.fusekicdc.core.wire.PatchReassembler;
import org.fusekicdc.sink.kinesis.KinesisSinkConfig.StaticCredentials;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;

/**
 * A follower's topic reader: the Kinesis stream a leader's {@link KinesisSink} writes. It reads
 * the shards that hold the leader dataset's partition key, a parent before its children, from
 * the start of retention, and puts split patches back together; versions up to the follower's
 * own are dropped by the {@link PatchReassembler}, as are repeats. No lease table and no
 * checkpoints: the follower's position is its own change log's head.
 */
public final class KinesisStreamReader implements TopicReader {
    private static final Set<String> OPTION_NAMES = Set.of(KinesisSinkConfig.STREAM.name(), KinesisSinkConfig.REGION.name(), KinesisSinkConfig.ENDPOINT.name(),
                                                           KinesisSinkConfig.ACCESS_KEY_ID_ENV.name(), KinesisSinkConfig.SECRET_ACCESS_KEY_ENV.name(),
                                                           KinesisSinkConfig.SESSION_TOKEN_ENV.name(), KinesisSinkConfig.REQUEST_TIMEOUT_SECONDS.name());
    /** The connection options a Kinesis sink has, minus those about putting records and creating the stream. */
    public static final List<Option<?>> OPTIONS = KinesisSinkConfig.OPTIONS.stream().filter(o -> OPTION_NAMES.contains(o.name())).toList();
    /** GetRecords allows 5 calls a second per shard. */
    private static final long EMPTY_READ_PAUSE_MILLIS = 250;

    private final String leaderDataset;
    private final String stream;
    private final String region;
    private final java.net.URI endpoint;
    private final StaticCredentials credentials;
    private final Duration timeout;
    private final Path workDir;
    private KinesisClient client;
    private PatchReassembler reassembler;
    /** Shards still to read after the current one, oldest first. */
    private final Deque<Shard> shards = new ArrayDeque<>();
    private String shardId;
    private String iterator;
    /** Records of the last GetRecords not handed out yet. */
    private final Deque<Record> pending = new ArrayDeque<>();
    private final Set<String> finishedShards = new java.util.HashSet<>();

    KinesisStreamReader(String leaderDataset, OptionValues options, Function<String, String> environment, Path workDir) {
        this.leaderDataset = leaderDataset;
        this.stream = KinesisSinkConfig.stream(leaderDataset, options);
        this.region = KinesisSinkConfig.region(options);
        this.endpoint = KinesisSinkConfig.endpoint(options);
        this.credentials = KinesisSinkConfig.credentials(options, environment);
        this.timeout = Duration.ofSeconds(options.number(KinesisSinkConfig.REQUEST_TIMEOUT_SECONDS.name(), 30, 1, 3600));
        this.workDir = workDir;
    }

    @Override
    public String describe() {
        return "Kinesis stream " + stream + (endpoint != null ? " at " + endpoint : region != null ? " in " + region : "");
    }

    @Override
    public void open(long afterVersion) {
        close();
        client = KinesisStream.client(region, endpoint, credentials, timeout);
        reassembler = new PatchReassembler(workDir.resolve("kinesis-parts"), afterVersion);
        finishedShards.clear();
        refillShards();
        nextShard();
    }

    /** The shards of the leader's partition key not read to their end yet. */
    private void refillShards() {
        BigInteger hash = KinesisStream.hashKey(leaderDataset);
        shards.clear();
        for ( Shard s : KinesisStream.shardsOf(client, stream, hash) )
            if ( !finishedShards.contains(s.shardId()) && !s.shardId().equals(shardId) )
                shards.add(s);
    }

    private void nextShard() {
        Shard s = shards.poll();
        shardId = s == null ? null : s.shardId();
        iterator = s == null ? null : KinesisStream.iterator(client, stream, shardId, null);
    }

    @Override
    public Optional<Incoming> poll(Duration timeout) throws Exception {
        long until = System.nanoTime() + timeout.toNanos();
        while ( true ) {
            while ( !pending.isEmpty() ) {
                Optional<Incoming> in = take(pending.poll());
                if ( in.isPresent() )
                    return in;
            }
            if ( System.nanoTime() - until >= 0 )
                return Optional.empty();
            if ( iterator == null ) {
                // The shard was closed by a reshard (or none was found yet): go on with its children.
                if ( shardId != null )
                    finishedShards.add(shardId);
                shardId = null;
                refillShards();
                nextShard();
                if ( iterator == null ) {
                    Thread.sleep(EMPTY_READ_PAUSE_MILLIS);
                    continue;
                }
            }
            GetRecordsResponse r;
            try {
                String current = iterator;
                r = client.getRecords(b -> b.shardIterator(current));
            } catch (ProvisionedThroughputExceededException ex) {
                Thread.sleep(EMPTY_READ_PAUSE_MILLIS);
                continue;
            }
            pending.addAll(r.records());
            iterator = r.nextShardIterator();
            if ( r.records().isEmpty() && iterator != null )
                Thread.sleep(EMPTY_READ_PAUSE_MILLIS);
        }
    }

    private Optional<Incoming> take(Record rec) {
        if ( !leaderDataset.equals(rec.partitionKey()) )
            return Optional.empty();   // another dataset's record on a shared stream
        String position = "shard " + shardId + " sequence " + rec.sequenceNumber();
        byte[] data = rec.data().asByteArrayUnsafe();
        KinesisRecords.Message m;
        try {
            m = KinesisRecords.decode(data);
        } catch (IllegalArgumentException ex) {
            return Optional.of(new ForeignMessage(position, java.util.Map.of(), data, ex.getMessage()));
        }
        try {
            return reassembler.offer(m.headers(), m.value()).map(p -> new PatchMessage(p, position));
        } catch (IllegalArgumentException ex) {
            return Optional.of(new ForeignMessage(position, m.headers(), m.value(), ex.getMessage()));
        }
    }

    @Override
    public void close() {
        pending.clear();
        shards.clear();
        iterator = null;
        shardId = null;
        if ( reassembler != null ) {
            reassembler.close();
            reassembler = null;
        }
        if ( client != null ) {
            client.close();
            client = null;
        }
    }
}
