// Circle's architecture rules, checked in CI (test/unit/architecture.test.ts) and drawn in docs/architecture.md.
// Type-only imports count too: a cycle of types is still a cycle a reader has to untangle.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Dependencies point one way: no module reaches back, directly or through others, to one that imports it.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'rules-see-ports-not-the-room',
      severity: 'error',
      comment: 'Only the registry and its placement module know the Room class; the rules reach a room through its ports.',
      from: { path: '^src/rooms/', pathNot: '^src/rooms/(room-registry|placement|room)\\.ts$' },
      to: { path: '^src/rooms/room\\.ts$' },
    },
    {
      name: 'domain-knows-no-transport',
      severity: 'error',
      comment: 'Rooms, quality, sessions and media know nothing of Socket.IO, SIP, HTTP, the server API or the metrics library.',
      from: { path: '^src/(rooms|quality|sessions|media)/' },
      to: { path: '^(src/(signaling|http|api|metrics|phone)/|node_modules/(socket\\.io|express|prom-client|sip|@evan)/)' },
    },
    {
      name: 'phone-reaches-rooms-through-its-port',
      severity: 'error',
      comment: 'The phone bridge knows the rooms by CallSeats (its SeatGateway) and the domain types it hands over, never the Room class.',
      from: { path: '^src/phone/' },
      to: { path: '^src/rooms/(room|room-media|call-legs|audience|floor|turn-taking|moderation)\\.ts$' },
    },
    {
      name: 'store-takes-plain-data',
      severity: 'error',
      comment: 'The store layer writes and reads plain data; it may name domain types, never import domain code.',
      from: { path: '^src/store/' },
      to: { path: '^src/rooms/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'sdk-stays-in-the-browser',
      severity: 'error',
      comment: 'The browser SDK shares the protocol and the members\' side of end-to-end encryption with the server, and nothing else (not the delivery service).',
      from: { path: '^src/client/' },
      to: { path: '^src/', pathNot: '^src/(client|protocol)/|^src/e2ee/(?!key-delivery)' },
    },
    {
      name: 'load-and-tests-stand-apart',
      severity: 'error',
      comment: 'load/ and test/ share what both need through harness/, never by reaching into each other.',
      from: { path: '^(load|harness)/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
