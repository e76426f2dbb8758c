import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each endpoint's summary in the API's form (EndpointProfileSummaryDto), as JSON text: endpoint pages embed it as it
 * is stored, where the `jsonb` summary had to be rendered to text (about 4 µs per row) and its services labelled by
 * the reader. The flow consumer writes it with every merge and clears the older `summary` (the clustering core's
 * form); rows not merged since keep that one and readers convert it as before.
 */
export class EndpointApiSummary1764600000000 implements MigrationInterface {
  name = 'EndpointApiSummary1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE endpoint_profiles ADD COLUMN api_summary json`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE endpoint_profiles DROP COLUMN IF EXISTS api_summary`);
  }
}
