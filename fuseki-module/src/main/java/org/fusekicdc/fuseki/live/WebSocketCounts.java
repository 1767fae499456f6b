package org.fusekicdc.fuseki.live;

import java.util.HashMap;
import java.util.Map;

import org.eclipse.jetty.websocket.core.CloseStatus;

/**
 * Open live-query WebSockets of one dataset, per client and in total. A connection is of use
 * only with a subscription, so the subscription limits bound the connections too: no client
 * needs more connections than it may hold subscriptions ({@code cdc:liveMaxPerClient}), and
 * the dataset never serves more than {@code cdc:liveMaxSubscriptions}. Without this bound a
 * client could open connections without subscribing, each costing a socket and timers.
 */
final class WebSocketCounts {
    /** Why a connection was not admitted: the close code and reason the client gets. */
    record Refusal(int closeCode, String reason) {}

    private final String dataset;
    private final int maxTotal;
    private final int maxPerClient;
    private final Map<String, Integer> perClient = new HashMap<>();
    private int total;

    WebSocketCounts(String dataset, int maxTotal, int maxPerClient) {
        this.dataset = dataset;
        this.maxTotal = maxTotal;
        this.maxPerClient = maxPerClient;
    }

    /** Count a new connection of {@code client}, or say why not; an admitted one is {@linkplain #release released} once. */
    synchronized Refusal admit(String client) {
        int mine = perClient.getOrDefault(client, 0);
        if ( mine >= maxPerClient )
            return new Refusal(CloseStatus.POLICY_VIOLATION, "client has " + mine + " live WebSockets open, the most allowed"
                                                                 + " (cdc:liveMaxPerClient); subscribe on one of them");
        if ( total >= maxTotal )
            return new Refusal(CloseStatus.TRY_AGAIN_LATER, "dataset '" + dataset + "' has " + total + " live WebSockets open, the most"
                                                                + " allowed (cdc:liveMaxSubscriptions); try again later");
        perClient.put(client, mine + 1);
        total++;
        return null;
    }

    synchronized void release(String client) {
        perClient.computeIfPresent(client, (c, n) -> n == 1 ? null : n - 1);
        total--;
    }

    synchronized int open() {
        return total;
    }
}
