// A chart's numbers as a person reads them: the table under "Numbers",
// which the page makes only when it is opened.

/** The rows of the numbers table of `chart` (a `figure.chart` locator), "Numbers" opened first if it is closed. */
export async function numberRows(chart) {
  const details = chart.locator('details').last();
  if (!(await details.evaluate((d) => d.open))) await details.locator('summary').click();
  const rows = details.locator('tbody tr');
  await rows.first().waitFor();
  return rows;
}
