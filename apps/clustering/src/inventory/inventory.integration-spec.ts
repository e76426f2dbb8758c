import { ErrorCode, type ActorDto, type Permission } from '@clarion/contracts';
import { Database } from '@clarion/persistence';
import { TestInfra, testLogger } from '@clarion/testing';
import { parse } from 'csv-parse/sync';
import { Client } from 'pg';
import { seedTenant } from '../query/testing/query-seed';
import { AddressClassificationService } from './address-classification.service';
import { AddressSpaceRegistryService } from './address-space-registry.service';
import { InventoryImportService } from './inventory-import.service';
import { SiteRegistryService } from './site-registry.service';
import { SubnetRegistryService } from './subnet-registry.service';

/** The network inventory against the real PostgreSQL, as the clustering service's own role. */
describe('network inventory (PostgreSQL, as clarion_clustering)', () => {
  const superuser = new Client({ connectionString: TestInfra.superuserUrl });
  const db = new Database({ url: TestInfra.serviceUrl('clustering'), poolSize: 2, statementTimeoutMs: 10_000, applicationName: 'inventory-test' }, testLogger());
  const sites = new SiteRegistryService(db);
  const spaces = new AddressSpaceRegistryService(db);
  const subnets = new SubnetRegistryService(db);
  const bulk = new InventoryImportService(db);
  const classification = new AddressClassificationService(db);
  const suffix = `${Date.now().toString(36)}-${process.pid}`;
  const ALL: Permission[] = ['inventory:read', 'inventory:write'];
  const actor = (tenantId: string, permissions: Permission[] = ALL): ActorDto => ({ kind: 'user', tenantId, id: 'u-inventory', permissions });
  let tenant = '';
  let other = '';
  const fresh = async (label: string) => seedTenant(superuser, `inv-${label}-${suffix}`);

  beforeAll(async () => {
    await superuser.connect();
    tenant = await fresh('a');
    other = await fresh('b');
    await db.start();
  });
  afterAll(async () => {
    await db.close();
    await superuser.end();
  });

  describe('sites', () => {
    it('nests campus > building > closet and refuses what the ranks forbid, naming the field', async () => {
      const a = actor(tenant);
      const campus = await sites.create({ actor: a, name: 'HQ Campus', kind: 'campus', timeZone: 'Europe/Zurich' });
      expect(campus).toMatchObject({ name: 'HQ Campus', kind: 'campus', parentId: null, timeZone: 'Europe/Zurich', description: null });
      const building = await sites.create({ actor: a, name: 'HQ Building 1', kind: 'building', parentId: campus.id });
      const closet = await sites.create({ actor: a, name: 'HQ B1 IDF 2', kind: 'closet', parentId: building.id, description: 'second floor' });
      expect(closet.parentId).toBe(building.id);
      // A closet straight in a campus is allowed (small sites without buildings).
      await sites.create({ actor: a, name: 'HQ Guard House', kind: 'closet', parentId: campus.id });

      await expect(sites.create({ actor: a, name: 'Nested Campus', kind: 'campus', parentId: campus.id })).rejects.toMatchObject({ code: ErrorCode.Conflict, details: [{ field: 'parentId' }] });
      await expect(sites.create({ actor: a, name: 'Odd Building', kind: 'building', parentId: closet.id })).rejects.toMatchObject({ code: ErrorCode.Conflict });
      await expect(sites.create({ actor: a, name: 'HQ Campus', kind: 'branch' })).rejects.toMatchObject({ code: ErrorCode.Conflict, details: [{ field: 'name' }] });
      await expect(sites.create({ actor: a, name: 'Orphan', kind: 'closet', parentId: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({ code: ErrorCode.NotFound });
      // A building with a closet in it cannot become a closet, nor a site its own parent.
      await expect(sites.update({ actor: a, id: building.id, kind: 'closet' })).rejects.toMatchObject({ code: ErrorCode.Conflict, details: [{ field: 'kind' }] });
      await expect(sites.update({ actor: a, id: building.id, parentId: building.id })).rejects.toMatchObject({ code: ErrorCode.Conflict });

      const moved = await sites.update({ actor: a, id: closet.id, parentId: campus.id, timeZone: 'America/New_York', description: null });
      expect(moved).toMatchObject({ parentId: campus.id, timeZone: 'America/New_York', description: null, name: 'HQ B1 IDF 2' });
      expect(new Date(moved.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(closet.updatedAt).getTime());
    });

    it('refuses to delete a site with sites, subnets or exporters in it, and deletes a leaf', async () => {
      const t = await fresh('delete');
      const a = actor(t);
      const branch = await sites.create({ actor: a, name: 'Branch Lyon', kind: 'branch' });
      const closet = await sites.create({ actor: a, name: 'Lyon Closet', kind: 'closet', parentId: branch.id });
      await expect(sites.delete({ actor: a, id: branch.id })).rejects.toMatchObject({ code: ErrorCode.Conflict });
      const subnet = await subnets.create({ actor: a, cidr: '10.20.0.0/24', siteId: closet.id, vlan: 20, purpose: 'user' });
      await expect(sites.delete({ actor: a, id: closet.id })).rejects.toMatchObject({ code: ErrorCode.Conflict });
      await subnets.delete({ actor: a, id: subnet.id });
      // An exporter of the ingest service's registry assigned to the site: the database refuses the delete.
      await superuser.query(`INSERT INTO exporters (tenant_id, address, registered_at, site_id) VALUES ($1, '192.0.2.77', now(), $2)`, [t, closet.id]);
      await expect(sites.delete({ actor: a, id: closet.id })).rejects.toMatchObject({ code: ErrorCode.Conflict });
      await superuser.query(`DELETE FROM exporters WHERE tenant_id = $1`, [t]);
      expect(await sites.delete({ actor: a, id: closet.id })).toMatchObject({ id: closet.id, name: 'Lyon Closet' });
      await expect(sites.get({ actor: a, id: closet.id })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    });

    it('pages by name, each site exactly once', async () => {
      const t = await fresh('pages');
      const names = ['Zurich', 'amsterdam', 'Berlin', 'Ägypten', 'Chicago'];
      for (const name of names) await sites.create({ actor: actor(t), name, kind: 'branch' });
      const walked: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await sites.list({ actor: actor(t), limit: 2, cursor });
        expect(page.items.length).toBeLessThanOrEqual(2);
        walked.push(...page.items.map((s) => s.name));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(walked).toEqual([...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
      await expect(sites.list({ actor: actor(t), cursor: 'bm90LWEtY3Vyc29y' })).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
    });

    it("keeps each tenant's sites apart: another tenant neither sees nor references them, and may reuse the names", async () => {
      const [mine] = (await sites.list({ actor: actor(tenant) })).items;
      await expect(sites.get({ actor: actor(other), id: mine!.id })).rejects.toMatchObject({ code: ErrorCode.NotFound });
      await expect(sites.update({ actor: actor(other), id: mine!.id, name: 'stolen' })).rejects.toMatchObject({ code: ErrorCode.NotFound });
      await expect(sites.delete({ actor: actor(other), id: mine!.id })).rejects.toMatchObject({ code: ErrorCode.NotFound });
      await expect(subnets.create({ actor: actor(other), cidr: '10.99.0.0/16', siteId: mine!.id })).rejects.toMatchObject({ code: ErrorCode.NotFound });
      await expect(sites.create({ actor: actor(other), name: 'Their Building', kind: 'building', parentId: mine!.id })).rejects.toMatchObject({ code: ErrorCode.NotFound });
      expect(await sites.create({ actor: actor(other), name: mine!.name, kind: 'campus' })).toMatchObject({ name: mine!.name });
      expect((await sites.list({ actor: actor(other) })).items.map((s) => s.name)).toEqual([mine!.name]);
    });

    it('holds every call to its permission', async () => {
      await expect(sites.list({ actor: actor(tenant, []) })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
      await expect(sites.create({ actor: actor(tenant, ['inventory:read']), name: 'x', kind: 'campus' })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
      await expect(bulk.import({ actor: actor(tenant, ['inventory:read']), kind: 'sites', format: 'csv', content: 'name,kind\nx,campus\n' })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
      await expect(bulk.export({ actor: actor(tenant, []), kind: 'sites', format: 'csv' })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
      await expect(classification.classify({ actor: actor(tenant, []), address: '10.0.0.1' })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    });
  });

  describe('address spaces and subnets', () => {
    it('stores CIDRs canonically, keeps them unique per tenant and pages in network order', async () => {
      const t = await fresh('spaces');
      const a = actor(t);
      const office = await spaces.create({ actor: a, cidr: '2603:1000:0::/25', name: 'SaaS: Office', kind: 'external' });
      expect(office).toMatchObject({ cidr: '2603:1000::/25', name: 'SaaS: Office', kind: 'external' });
      await spaces.create({ actor: a, cidr: '0.0.0.0/0', name: 'Internet', kind: 'external' });
      await spaces.create({ actor: a, cidr: '10.200.0.0/16', name: 'Partner VPN', kind: 'external', description: 'Acme partner' });
      await expect(spaces.create({ actor: a, cidr: '2603:1000::/25', name: 'again', kind: 'external' })).rejects.toMatchObject({ code: ErrorCode.Conflict, details: [{ field: 'cidr' }] });
      expect(await spaces.create({ actor: actor(other), cidr: '10.200.0.0/16', name: 'Theirs', kind: 'internal' })).toMatchObject({ kind: 'internal' });
      const first = await spaces.list({ actor: a, limit: 2 });
      const second = await spaces.list({ actor: a, limit: 2, cursor: first.nextCursor! });
      expect([...first.items, ...second.items].map((s) => s.cidr)).toEqual(['0.0.0.0/0', '10.200.0.0/16', '2603:1000::/25']);
      expect(second.nextCursor).toBeNull();
      const renamed = await spaces.update({ actor: a, id: office.id, name: 'SaaS: Microsoft 365', description: 'Office' });
      expect(renamed).toMatchObject({ cidr: '2603:1000::/25', name: 'SaaS: Microsoft 365', description: 'Office' });
      await expect(spaces.update({ actor: a, id: office.id, cidr: '0.0.0.0/0' })).rejects.toMatchObject({ code: ErrorCode.Conflict });
      expect((await spaces.delete({ actor: a, id: office.id })).id).toBe(office.id);
      await expect(spaces.get({ actor: a, id: office.id })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    });

    it('ties subnets to sites of the tenant, filters them by site, and clears a field given as null', async () => {
      const t = await fresh('subnets');
      const a = actor(t);
      const building = await sites.create({ actor: a, name: 'DC 1', kind: 'building' });
      const users = await subnets.create({ actor: a, cidr: '10.1.10.0/24', name: 'Users L2', siteId: building.id, vlan: 110, purpose: 'user' });
      await subnets.create({ actor: a, cidr: '10.1.20.0/24', siteId: building.id, vlan: 120, purpose: 'voice' });
      await subnets.create({ actor: a, cidr: 'fd00:1::/64', purpose: 'iot' });
      expect((await subnets.list({ actor: a, siteId: building.id })).items.map((s) => s.cidr)).toEqual(['10.1.10.0/24', '10.1.20.0/24']);
      expect((await subnets.list({ actor: a })).items.map((s) => s.cidr)).toEqual(['10.1.10.0/24', '10.1.20.0/24', 'fd00:1::/64']);
      expect(await subnets.update({ actor: a, id: users.id, vlan: null, siteId: null })).toMatchObject({ vlan: null, siteId: null, name: 'Users L2', purpose: 'user' });
      await expect(subnets.create({ actor: a, cidr: '10.1.10.0/24' })).rejects.toMatchObject({ code: ErrorCode.Conflict });
    });
  });

  describe('import and export', () => {
    it('imports sites from CSV with parents later in the file, then the same file again changes nothing', async () => {
      const t = await fresh('import-sites');
      const a = actor(t);
      const csv = [
        'Name,Kind,Parent,Time_Zone,Description',
        'B1 Closet A,closet,Building 1,,',
        'Building 1,building,Campus North,,"main building, ground floor"',
        'Campus North,campus,,Europe/Berlin,',
        'Branch Oslo,branch,,Europe/Oslo,',
        '',
      ].join('\r\n');
      expect(await bulk.import({ actor: a, kind: 'sites', format: 'csv', content: csv })).toEqual({
        kind: 'sites',
        dryRun: false,
        applied: true,
        records: 4,
        created: 4,
        updated: 0,
        unchanged: 0,
        rejected: [],
        rejectedCount: 0,
      });
      const byName = new Map((await sites.list({ actor: a })).items.map((s) => [s.name, s]));
      expect(byName.get('B1 Closet A')!.parentId).toBe(byName.get('Building 1')!.id);
      expect(byName.get('Building 1')).toMatchObject({ parentId: byName.get('Campus North')!.id, description: 'main building, ground floor' });
      expect(await bulk.import({ actor: a, kind: 'sites', format: 'csv', content: csv })).toMatchObject({ applied: true, created: 0, updated: 0, unchanged: 4 });
      // A column left out keeps the stored value; a dry run writes nothing.
      const retimed = 'name,time_zone\nBuilding 1,Europe/Berlin\n';
      expect(await bulk.import({ actor: a, kind: 'sites', format: 'csv', content: retimed, dryRun: true })).toMatchObject({ dryRun: true, applied: false, updated: 1 });
      expect((await sites.get({ actor: a, id: byName.get('Building 1')!.id })).timeZone).toBeNull();
      expect(await bulk.import({ actor: a, kind: 'sites', format: 'csv', content: retimed })).toMatchObject({ applied: true, updated: 1 });
      expect(await sites.get({ actor: a, id: byName.get('Building 1')!.id })).toMatchObject({ timeZone: 'Europe/Berlin', parentId: byName.get('Campus North')!.id, description: 'main building, ground floor' });
    });

    it('rejects the whole import with a reason per line when any record is wrong, and writes nothing', async () => {
      const t = await fresh('import-errors');
      const a = actor(t);
      await sites.create({ actor: a, name: 'Existing Campus', kind: 'campus' });
      const csv = [
        'name,kind,parent,time_zone',
        'Good Building,building,Existing Campus,', // line 2: fine on its own
        'Bad Kind,floor,,', // line 3
        'Lost Closet,closet,Nowhere,', // line 4
        'Good Building,building,,', // line 5: duplicate
        'Closet In Bad,closet,Bad Kind,', // line 6: its parent is rejected, so not there
        'Nested Campus,campus,Existing Campus,', // line 7
        'Bad Zone,branch,,Mars/Olympus', // line 8
        'Too,many,fields,,x', // line 9
        'New Thing,,,', // line 10: no kind
      ].join('\n');
      const result = await bulk.import({ actor: a, kind: 'sites', format: 'csv', content: csv });
      expect(result).toMatchObject({ applied: false, records: 9, rejectedCount: 8 });
      expect(result.rejected.map((r) => r.at)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
      const reasons = Object.fromEntries(result.rejected.map((r) => [r.at, r.reason]));
      expect(reasons[3]).toMatch(/kind must be one of campus, branch, building, closet \(not 'floor'\)/);
      expect(reasons[4]).toMatch(/no site named Nowhere/);
      expect(reasons[5]).toMatch(/Good Building is also on line 2/);
      expect(reasons[6]).toMatch(/no site named Bad Kind/);
      expect(reasons[7]).toMatch(/a campus, a top-level site/);
      expect(reasons[8]).toMatch(/not an IANA time zone/);
      expect(reasons[9]).toMatch(/more fields than the header/);
      expect(reasons[10]).toMatch(/kind is required for a new site/);
      expect((await sites.list({ actor: a })).items.map((s) => s.name)).toEqual(['Existing Campus']);
    });

    it('refuses content it cannot read as a whole: no header, an unknown column, broken quotes, not JSON', async () => {
      const a = actor(tenant);
      for (const content of ['Campus,campus\n', 'name,kind,floor\nx,campus\n', 'name,kind\n"x,campus\n']) {
        await expect(bulk.import({ actor: a, kind: 'sites', format: 'csv', content })).rejects.toMatchObject({ code: ErrorCode.ValidationFailed, details: [{ field: 'content' }] });
      }
      await expect(bulk.import({ actor: a, kind: 'sites', format: 'json', content: '{"name":"x"}' })).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
      await expect(bulk.import({ actor: a, kind: 'sites', format: 'json', content: '[{"name":' })).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
    });

    it('exports every kind in CSV and JSON so that importing the export back changes nothing', async () => {
      const t = await fresh('roundtrip');
      const a = actor(t);
      await bulk.import({
        actor: a,
        kind: 'sites',
        format: 'json',
        content: JSON.stringify([
          { name: 'Campus', kind: 'campus', timeZone: 'Asia/Tokyo' },
          { name: '=HYPERLINK("http://x")', kind: 'building', parent: 'Campus', description: 'a name a spreadsheet would run' },
        ]),
      });
      await bulk.import({ actor: a, kind: 'address-spaces', format: 'csv', content: 'cidr,name,kind\n0.0.0.0/0,Internet,external\n::/0,Internet,external\n10.250.0.0/16,"Partner, VPN",external\n' });
      await bulk.import({ actor: a, kind: 'subnets', format: 'csv', content: 'cidr,site,vlan,purpose,name\n10.0.5.0/24,"=HYPERLINK(""http://x"")",5,guest,Guests\nfd00:5::/64,,,management,\n' });
      for (const kind of ['sites', 'address-spaces', 'subnets'] as const) {
        for (const format of ['csv', 'json'] as const) {
          const exported = await bulk.export({ actor: a, kind, format });
          expect(exported.records).toBeGreaterThan(1);
          const again = await bulk.import({ actor: a, kind, format, content: exported.content });
          expect({ format, ...again }).toMatchObject({ kind, format, applied: true, created: 0, updated: 0, unchanged: exported.records, rejectedCount: 0 });
        }
      }
      const csv = await bulk.export({ actor: a, kind: 'subnets', format: 'csv' });
      const rows = parse(csv.content, { columns: true }) as Array<Record<string, string>>;
      // Formula-looking text is written as text for spreadsheets (a leading ') and read back without it.
      expect(rows).toEqual([
        { cidr: '10.0.5.0/24', name: 'Guests', site: `'=HYPERLINK("http://x")`, vlan: '5', purpose: 'guest', description: '' },
        { cidr: 'fd00:5::/64', name: '', site: '', vlan: '', purpose: 'management', description: '' },
      ]);
      expect(csv.content.endsWith('\r\n')).toBe(true);
      const json = JSON.parse((await bulk.export({ actor: a, kind: 'sites', format: 'json' })).content) as unknown[];
      expect(json[0]).toEqual({ name: 'Campus', kind: 'campus', parent: null, timeZone: 'Asia/Tokyo', description: null });
    });

    it('checks address spaces and subnets per record: CIDR host bits, kinds, unknown sites, VLANs, duplicates', async () => {
      const t = await fresh('import-cidr');
      const a = actor(t);
      const spacesResult = await bulk.import({
        actor: a,
        kind: 'address-spaces',
        format: 'json',
        content: JSON.stringify([{ cidr: '10.1.2.3/8', name: 'x', kind: 'internal' }, { cidr: '192.0.2.0/24', name: 'Lab', kind: 'sideways' }, { cidr: '198.51.100.0/24' }, { cidr: '198.51.100.0/24', name: 'dup', kind: 'external' }, { cidr: '203.0.113.0/24', name: 'ok', kind: 'EXTERNAL', owner: 'x' }]),
      });
      expect(spacesResult.rejected).toEqual([
        { at: 0, reason: expect.stringMatching(/host bits set \(the network is 10\.0\.0\.0\/8\)/) },
        { at: 1, reason: expect.stringMatching(/kind must be one of internal, external/) },
        { at: 2, reason: expect.stringMatching(/name and kind are required for a new address space/) },
        { at: 3, reason: expect.stringMatching(/198\.51\.100\.0\/24 is also at index 2/) },
        { at: 4, reason: expect.stringMatching(/unknown field owner/) },
      ]);
      const subnetResult = await bulk.import({ actor: a, kind: 'subnets', format: 'csv', content: 'cidr,site,vlan,purpose\n10.9.0.0/24,Nowhere,,\n10.9.1.0/24,,4095,\n10.9.2.0/24,,,printer\n10.9.3.0/24,,12,SERVER\n' });
      expect(subnetResult).toMatchObject({ applied: false, rejectedCount: 3, created: 1 });
      expect(subnetResult.rejected.map((r) => [r.at, r.reason])).toEqual([
        [2, expect.stringMatching(/no site named Nowhere/)],
        [3, expect.stringMatching(/vlan must be 1-4094/)],
        [4, expect.stringMatching(/purpose must be one of user, server, iot, guest, voice, management/)],
      ]);
      expect((await subnets.list({ actor: a })).items).toEqual([]);
    });
  });

  describe('classification', () => {
    it('classifies by the defaults while nothing is defined, then by the address spaces and subnets, with the site', async () => {
      const t = await fresh('classify');
      const a = actor(t);
      expect(await classification.classify({ actor: a, address: '10.1.2.3' })).toEqual({ address: '10.1.2.3', scope: 'internal', basis: 'default', addressSpace: null, subnet: null, site: null });
      expect(await classification.classify({ actor: a, address: '8.8.8.8' })).toMatchObject({ scope: 'external', basis: 'none' });
      const campus = await sites.create({ actor: a, name: 'Main', kind: 'campus' });
      await spaces.create({ actor: a, cidr: '10.200.0.0/16', name: 'Partner VPN', kind: 'external' });
      await spaces.create({ actor: a, cidr: '0.0.0.0/0', name: 'Internet', kind: 'external' });
      const cameras = await subnets.create({ actor: a, cidr: '10.200.9.0/24', siteId: campus.id, vlan: 90, purpose: 'iot', name: 'Cameras' });
      expect(await classification.classify({ actor: a, address: '10.200.1.1' })).toMatchObject({ scope: 'external', basis: 'address_space', addressSpace: { name: 'Partner VPN', cidr: '10.200.0.0/16' } });
      expect(await classification.classify({ actor: a, address: '10.200.9.7' })).toMatchObject({
        scope: 'internal',
        basis: 'subnet',
        subnet: { id: cameras.id, vlan: 90, purpose: 'iot' },
        site: { id: campus.id, name: 'Main', kind: 'campus' },
      });
      expect(await classification.classify({ actor: a, address: '1.1.1.1' })).toMatchObject({ scope: 'external', addressSpace: { name: 'Internet' } });
      // Another tenant's inventory does not apply.
      expect(await classification.classify({ actor: actor(other), address: '10.200.9.7' })).toMatchObject({ subnet: null, site: null });
    });
  });
});
