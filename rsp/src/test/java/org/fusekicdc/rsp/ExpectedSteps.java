package org.fusekicdc.rsp;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.Triple;
import org.apache.jena.sparql.core.Quad;

/**
 * The steps a continuous query must make over what an engine was fed, worked out from the
 * window semantics of docs/stream-processing.md and nothing of the engine: which steps there
 * are, each one's number, window bounds, the version its dataset part reads, and the events
 * of each of its windows.
 * <ul>
 * <li>time is the latest commit time or advance so far (a commit stamped earlier counts as
 *     stamped at the time already reached);
 * <li>commit-time windows report at every multiple of STEP after the first time fed, up to
 *     the last time fed, each at the last version committed before its end;
 * <li>event-time windows report at every multiple of STEP after the earliest event of the first
 *     commit with events, once
 *     the watermark (newest event time minus the lateness) reaches it, at the version of the
 *     commit that moved the watermark; an event older than the watermark when it arrives
 *     enters no window;
 * <li>count windows report at each commit that adds events to them, at its version;
 * <li>sessions are runs of events (by time) less than GAP apart, and report once time (the
 *     watermark for event time) reaches the last event's time plus GAP.
 * </ul>
 */
final class ExpectedSteps {
    private ExpectedSteps() {}

    /** What an engine was told, in order. */
    sealed interface Fed permits Committed, Advanced {}

    record Committed(Commit commit) implements Fed {}

    record Advanced(Instant now) implements Fed {}

    /** One quad event: its triple, time and commit version. */
    record Ev(Triple triple, long time, long version) {}

    /** A step the query must make, with the events of each of its windows (in the query's window order). */
    record Expected(long number, long start, long end, long version, List<List<Ev>> windows) {
        String header() {
            return "step " + number + " [" + Instant.ofEpochMilli(start) + ", " + Instant.ofEpochMilli(end) + ") at version " + version;
        }
    }

    /** A commit with the time it counts at. */
    private record Timed(Commit commit, long time) {}

    static List<Expected> of(ContinuousQuery query, List<Fed> feed) {
        List<Timed> commits = new ArrayList<>();
        long clock = Long.MIN_VALUE;
        long firstTime = Long.MIN_VALUE;
        for ( Fed f : feed ) {
            long t = switch (f) {
                case Committed c -> c.commit().commitTime().toEpochMilli();
                case Advanced a -> a.now().toEpochMilli();
            };
            clock = Math.max(clock, t);
            if ( firstTime == Long.MIN_VALUE )
                firstTime = clock;
            if ( f instanceof Committed c )
                commits.add(new Timed(c.commit(), clock));
        }
        WindowSpec first = query.windows().get(0);
        return switch (first.kind()) {
            case COUNT -> count(first, commits);
            case TIME -> first.eventTime() ? eventTime(query.windows(), commits) : commitTime(query.windows(), commits, firstTime, clock);
            case SESSION -> first.eventTime() ? eventTimeSessions(first, commits) : commitTimeSessions(first, commits, clock);
        };
    }

    private static List<Expected> commitTime(List<WindowSpec> specs, List<Timed> commits, long firstTime, long lastTime) {
        List<List<Ev>> events = specs.stream().map(w -> events(w, commits)).toList();
        WindowSpec first = specs.get(0);
        long step = first.step().toMillis();
        List<Expected> out = new ArrayList<>();
        for ( long end = Math.floorDiv(firstTime, step) * step + step; end <= lastTime; end += step ) {
            List<List<Ev>> windows = new ArrayList<>();
            for ( int i = 0; i < specs.size(); i++ )
                windows.add(between(events.get(i), end - specs.get(i).range().toMillis(), end));
            out.add(new Expected(end / step, end - first.range().toMillis(), end, versionBefore(commits, end), windows));
        }
        return out;
    }

    private static List<Expected> eventTime(List<WindowSpec> specs, List<Timed> commits) {
        WindowSpec first = specs.get(0);
        long step = first.step().toMillis();
        List<List<Ev>> accepted = new ArrayList<>();
        specs.forEach(w -> accepted.add(new ArrayList<>()));
        Watermark wm = new Watermark(first.allowedLateness().toMillis());
        Long nextEnd = null;
        List<Expected> out = new ArrayList<>();
        for ( Timed c : commits ) {
            long earliest = Long.MAX_VALUE;
            for ( int i = 0; i < specs.size(); i++ )
                for ( Ev e : withEventTimes(specs.get(i), c) )
                    if ( wm.accept(e.time()) ) {
                        accepted.get(i).add(e);
                        earliest = Math.min(earliest, e.time());
                    }
            if ( nextEnd == null && earliest != Long.MAX_VALUE )
                nextEnd = Math.floorDiv(earliest, step) * step + step;
            for ( ; nextEnd != null && nextEnd <= wm.value(); nextEnd += step ) {
                long end = nextEnd;
                List<List<Ev>> windows = new ArrayList<>();
                for ( int i = 0; i < specs.size(); i++ )
                    windows.add(between(accepted.get(i), end - specs.get(i).range().toMillis(), end));
                out.add(new Expected(end / step, end - first.range().toMillis(), end, c.commit().version(), windows));
            }
        }
        return out;
    }

    private static List<Expected> count(WindowSpec w, List<Timed> commits) {
        List<Ev> all = new ArrayList<>();
        List<Expected> out = new ArrayList<>();
        for ( Timed c : commits ) {
            List<Quad> quads = quads(w, c.commit());
            if ( quads.isEmpty() )
                continue;
            quads.forEach(q -> all.add(new Ev(q.asTriple(), c.time(), c.commit().version())));
            List<Ev> window = List.copyOf(all.subList((int)Math.max(0, all.size() - w.rows()), all.size()));
            out.add(new Expected(c.commit().version(), window.get(0).time(), c.time() + 1, c.commit().version(), List.of(window)));
        }
        return out;
    }

    private static List<Expected> commitTimeSessions(WindowSpec w, List<Timed> commits, long lastTime) {
        long gap = w.gap().toMillis();
        List<Expected> out = new ArrayList<>();
        for ( List<Ev> session : sessions(events(w, commits), gap) ) {
            long end = session.get(session.size() - 1).time() + gap;
            if ( end <= lastTime )
                out.add(new Expected(session.get(0).time(), session.get(0).time(), end, versionBefore(commits, end), List.of(session)));
        }
        return out;
    }

    private static List<Expected> eventTimeSessions(WindowSpec w, List<Timed> commits) {
        long gap = w.gap().toMillis();
        Watermark wm = new Watermark(w.allowedLateness().toMillis());
        List<Ev> open = new ArrayList<>();
        List<Expected> out = new ArrayList<>();
        for ( Timed c : commits ) {
            for ( Ev e : withEventTimes(w, c) )
                if ( wm.accept(e.time()) )
                    open.add(e);
            open.sort(Comparator.comparingLong(Ev::time));
            for ( List<Ev> session : sessions(open, gap) ) {
                long end = session.get(session.size() - 1).time() + gap;
                if ( wm.value() < end )
                    break;
                out.add(new Expected(session.get(0).time(), session.get(0).time(), end, c.commit().version(), List.of(session)));
                open.removeAll(session);
            }
        }
        return out;
    }

    /** Events in time order split where the next one is GAP or more after the previous one. */
    private static List<List<Ev>> sessions(List<Ev> byTime, long gap) {
        List<List<Ev>> out = new ArrayList<>();
        List<Ev> current = new ArrayList<>();
        for ( Ev e : byTime ) {
            if ( !current.isEmpty() && e.time() >= current.get(current.size() - 1).time() + gap ) {
                out.add(current);
                current = new ArrayList<>();
            }
            current.add(e);
        }
        if ( !current.isEmpty() )
            out.add(current);
        return out;
    }

    /** Newest event time minus the lateness; an event before it is late. */
    private static final class Watermark {
        private final long lateness;
        private long newest = Long.MIN_VALUE;

        Watermark(long lateness) {
            this.lateness = lateness;
        }

        /** Whether an event at {@code time} is on time; if so it moves the watermark. */
        boolean accept(long time) {
            if ( newest != Long.MIN_VALUE && time < newest - lateness )
                return false;
            newest = Math.max(newest, time);
            return true;
        }

        long value() {
            return newest == Long.MIN_VALUE ? Long.MIN_VALUE : newest - lateness;
        }
    }

    /** The window's events at commit time. */
    private static List<Ev> events(WindowSpec w, List<Timed> commits) {
        List<Ev> out = new ArrayList<>();
        for ( Timed c : commits )
            for ( Quad q : quads(w, c.commit()) )
                out.add(new Ev(q.asTriple(), c.time(), c.commit().version()));
        return out;
    }

    /** A commit's events on the window's stream, each at its subject's time property in that commit (else the commit's time). */
    private static List<Ev> withEventTimes(WindowSpec w, Timed c) {
        List<Quad> quads = quads(w, c.commit());
        Map<Node, Long> times = new HashMap<>();
        for ( Quad q : quads )
            if ( q.getPredicate().equals(w.timeProperty()) && q.getObject().isLiteral()
                 && XSDDatatype.XSDdateTime.getURI().equals(q.getObject().getLiteralDatatypeURI()) )
                times.put(q.getSubject(), Instant.parse(q.getObject().getLiteralLexicalForm()).toEpochMilli());
        return quads.stream().map(q -> new Ev(q.asTriple(), times.getOrDefault(q.getSubject(), c.time()), c.commit().version())).toList();
    }

    private static List<Quad> quads(WindowSpec w, Commit c) {
        return (w.stream().equals(RspVocab.REMOVED) ? c.removed() : c.added()).stream()
            .filter(q -> w.graph() == null || w.graph().equals(q.getGraph())).toList();
    }

    private static List<Ev> between(List<Ev> events, long start, long end) {
        return events.stream().filter(e -> e.time() >= start && e.time() < end).toList();
    }

    /** The last version committed before {@code time}; 0 when none was. */
    private static long versionBefore(List<Timed> commits, long time) {
        long version = 0;
        for ( Timed c : commits )
            if ( c.time() < time )
                version = c.commit().version();
        return version;
    }
}
