/**
 * The flags node runs the bundle with in the image: app/Dockerfile's ENTRYPOINT passes them
 * (a test keeps the two equal) and `npm run bench` starts the api with them, as production does.
 *
 * `--no-memory-reducer`: V8's memory reducer notices allocation going quiet (about 8 s after
 * the api's start-up collection) and runs full collections that shrink the heap, the young
 * generation included ("detect transition of the mutator from high allocation phase to low
 * allocation phase and collect potential garbage", V8's src/heap/memory-reducer.h). For the
 * api that took the committed heap from 35 to 15 MB, nearly all of it young generation, and
 * requests made of short-lived objects do not grow it back: over the same 8 s of
 * `GET /api/health` a shrunk api ran 610 scavenges instead of 142 and spent about a third more
 * CPU per request (bench/README.md). An api task is idle like that between bursts and overnight
 * behind its health checks. The price is the heap staying committed at its working size, about
 * 20 MB per process.
 */
export const NODE_FLAGS: readonly string[] = ['--no-memory-reducer'];
