// First import of gateway.bench.ts: the bench's own database, chosen before @clarion/testing reads its environment.
process.env['CLARION_TEST_DATABASE'] ??= 'clarion_bench';
