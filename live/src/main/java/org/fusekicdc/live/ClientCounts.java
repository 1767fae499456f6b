package org.fusekicdc.live;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Subscriptions held, in total and per client, against the limits. A place is taken before a
 * subscription is evaluated and given back exactly once: when the request fails or is
 * abandoned, or when the subscription ends.
 */
public final class ClientCounts {
    private final LiveConfig config;
    private final String dataset;
    private final AtomicInteger total = new AtomicInteger();
    private final Map<String, Integer> perClient = new ConcurrentHashMap<>();

    public ClientCounts(LiveConfig config, String dataset) {
        this.config = config;
        this.dataset = dataset;
    }

    /** Take a place for {@code client}, or throw when a limit is reached. */
    public void take(String client) {
        boolean[] taken = {false};
        perClient.compute(client, (c, n) -> {
            int held = n == null ? 0 : n;
            if ( held >= config.maxPerClient() )
                return n;
            taken[0] = true;
            return held + 1;
        });
        if ( !taken[0] )
            throw new LiveQueryException(LiveQueryException.Kind.TOO_MANY_FOR_CLIENT, "Client " + client + " already holds "
                                         + config.maxPerClient() + " live subscriptions, the most allowed per client (cdc:liveMaxPerClient); close some first.");
        if ( total.incrementAndGet() > config.maxSubscriptions() ) {
            give(client);
            throw new LiveQueryException(LiveQueryException.Kind.TOO_MANY, "The server holds " + config.maxSubscriptions()
                                         + " live subscriptions on dataset '" + dataset + "', the most allowed (cdc:liveMaxSubscriptions); try again later.");
        }
    }

    public void give(String client) {
        total.decrementAndGet();
        perClient.computeIfPresent(client, (c, n) -> n == 1 ? null : n - 1);
    }

    public int total() {
        return total.get();
    }

    public int of(String client) {
        return perClient.getOrDefault(client, 0);
    }
}
