import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { goAdd, goFloat, goQuantity, goQuantityDump, goString } from './quantity-go.js';

describe('Quantity.String()', () => {
  // Canonical texts are kept as written (a sign too); others print canonically.
  const cases: [unknown, string][] = [
    ['100m', '100m'],
    ['0', '0'],
    ['00', '0'],
    ['0.5', '500m'],
    ['1000', '1k'],
    ['1.5', '1500m'],
    ['1.0', '1'],
    ['+100m', '+100m'],
    ['1Gi', '1Gi'],
    ['1024Mi', '1Gi'],
    ['1.5Gi', '1536Mi'],
    ['1e3', '1e3'],
    [2, '2'],
  ];
  for (const [text, want] of cases) it(String(text), () => assert.equal(goString(goQuantity(text)), want));

  it('a sum prints canonically, in the format of its first non-zero term', () => {
    assert.equal(goString(goAdd(goQuantity('512Mi'), goQuantity('512Mi'))), '1Gi');
    assert.equal(goString(goAdd(goQuantity('100m'), goQuantity('0.9'))), '1');
    assert.equal(goString(goAdd(goQuantity('0'), goQuantity('1Ki'))), '1Ki');
  });
});

describe('%#v of a Quantity', () => {
  const int = (value: string, scale: number, s: string, format: string) =>
    `resource.Quantity{i:resource.int64Amount{value:${value}, scale:${scale}}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"${s}", Format:"${format}"}`;
  const cases: [string, string][] = [
    ['100m', int('100', -3, '100m', 'DecimalSI')],
    ['0.5', int('5', -1, '500m', 'DecimalSI')],
    ['2k', int('2', 3, '2k', 'DecimalSI')],
    ['0', int('0', 0, '0', 'DecimalSI')],
    ['1Gi', int('1073741824', 0, '1Gi', 'BinarySI')],
    ['-1', int('-1', 0, '-1', 'DecimalSI')],
    ['1e3', int('1', 3, '1e3', 'DecimalExponent')],
    // Past the int64 fast path: an inf.Dec, whose address Go prints.
    ['1.5Gi', 'resource.Quantity{i:resource.int64Amount{value:0, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(0xc000a10000)}, s:"1536Mi", Format:"BinarySI"}'],
    ['0.5Ki', 'resource.Quantity{i:resource.int64Amount{value:0, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(0xc000a10000)}, s:"512", Format:"BinarySI"}'],
  ];
  for (const [text, want] of cases) it(text, () => assert.equal(goQuantityDump(text), want));
});

describe("Go's %f", () => {
  for (const [x, want] of [[3, '3.000000'], [4 / 3, '1.333333'], [Infinity, '+Inf'], [NaN, 'NaN']] as const) {
    it(String(x), () => assert.equal(goFloat(x), want));
  }
});
