package org.fusekicdc.sink.kinesis;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.fusekicdc.sink.kinesis.KinesisSinkConfig.StaticCredentials;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.KinesisClientBuilder;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/**
 * What the sink and the follower's reader both do with a stream: connect, find the shards that
 * hold one partition key, read a shard from a point to its end.
 */
final class KinesisStream {
    private KinesisStream() {}

    /**
     * A client that never retries on its own: the sink decides what a failed put means (retry the
     * same record after throttling, read the tail after anything else).
     */
    static KinesisClient client(String region, java.net.URI endpoint, StaticCredentials credentials, Duration timeout) {
        KinesisClientBuilder b = KinesisClient.builder()
            .httpClientBuilder(UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(Math.min(10, timeout.toSeconds())))
                                                      .socketTimeout(timeout))
            .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()).apiCallTimeout(timeout));
        if ( region != null )
            b.region(Region.of(region));
        if ( endpoint != null )
            b.endpointOverride(endpoint);
        b.credentialsProvider(provider(credentials));
        return b.build();
    }

    private static AwsCredentialsProvider provider(StaticCredentials c) {
        if ( c == null )
            return DefaultCredentialsProvider.builder().build();
        return StaticCredentialsProvider.create(c.sessionToken() == null ? AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey())
                                                    : AwsSessionCredentials.create(c.accessKeyId(), c.secretAccessKey(), c.sessionToken()));
    }

    /** Where a partition key falls in the 128-bit hash key space: the MD5 of its UTF-8 bytes. */
    static BigInteger hashKey(String partitionKey) {
        try {
            return new BigInteger(1, MessageDigest.getInstance("MD5").digest(partitionKey.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * The shards whose hash key range holds {@code hash}, oldest first: after a reshard, a parent's
     * records come before its child's.
     */
    static List<Shard> shardsOf(KinesisClient client, String stream, BigInteger hash) {
        List<Shard> all = new ArrayList<>();
        ListShardsResponse r = client.listShards(ListShardsRequest.builder().streamName(stream).build());
        while ( true ) {
            all.addAll(r.shards());
            if ( r.nextToken() == null )
                break;
            r = client.listShards(ListShardsRequest.builder().nextToken(r.nextToken()).build());
        }
        return all.stream()
                  .filter(s -> new BigInteger(s.hashKeyRange().startingHashKey()).compareTo(hash) <= 0
                               && new BigInteger(s.hashKeyRange().endingHashKey()).compareTo(hash) >= 0)
                  .sorted(Comparator.comparing(s -> new BigInteger(s.sequenceNumberRange().startingSequenceNumber())))
                  .toList();
    }

    /** An iterator at the first record that arrived at or after {@code from}, or at the shard's start when {@code from} is null. */
    static String iterator(KinesisClient client, String stream, String shardId, Instant from) {
        return client.getShardIterator(b -> {
            b.streamName(stream).shardId(shardId);
            if ( from == null )
                b.shardIteratorType(ShardIteratorType.TRIM_HORIZON);
            else
                b.shardIteratorType(ShardIteratorType.AT_TIMESTAMP).timestamp(from);
        }).shardIterator();
    }

    /** An iterator just after the record with {@code sequenceNumber}. */
    static String iteratorAfter(KinesisClient client, String stream, String shardId, String sequenceNumber) {
        return client.getShardIterator(b -> b.streamName(stream).shardId(shardId).shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER)
                                             .startingSequenceNumber(sequenceNumber)).shardIterator();
    }

    /** True when a GetRecords answer says nothing more is there now: the shard's end, or its present tail. */
    static boolean atEnd(GetRecordsResponse r) {
        return r.nextShardIterator() == null || r.records().isEmpty() && r.millisBehindLatest() != null && r.millisBehindLatest() == 0;
    }
}
