import { createDataSource } from '@clarion/persistence';
import { TestInfra } from '@clarion/testing';
import { assertSchemaOwner } from './schema-owner';

describe('the migration runner runs as the schema owner only', () => {
  const connect = async (url: string) => {
    const dataSource = createDataSource({ url, poolSize: 1, statementTimeoutMs: 5000, applicationName: 'schema-owner-test' });
    await dataSource.initialize();
    return dataSource;
  };

  it('accepts the owner', async () => {
    const dataSource = await connect(TestInfra.ownerUrl);
    try {
      await expect(assertSchemaOwner(dataSource)).resolves.toBeUndefined();
    } finally {
      await dataSource.destroy();
    }
  });

  it.each([
    ['the application role', TestInfra.appUrl, 'clarion_app'],
    ['a superuser', TestInfra.superuserUrl, 'postgres'],
  ])('refuses %s, naming the owner', async (_who, url, user) => {
    const dataSource = await connect(url);
    try {
      await expect(assertSchemaOwner(dataSource)).rejects.toThrow(`migrations must run as the schema owner (clarion_owner), not as ${user}`);
    } finally {
      await dataSource.destroy();
    }
  });
});
