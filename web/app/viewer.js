// Who is signed in: the viewer's role and org, and the orgs they may open
// (names, time zones), asked once a page opens.
export const VIEWER = `{ me { userId role org { slug name timezone } } orgs { slug name timezone breakdownKeys } }`;

/** The org of `slug` among the viewer's; its slug as its name and UTC when the viewer cannot see it (the page then says so). */
export const orgIn = (viewer, slug) => viewer.orgs.find((o) => o.slug === slug) ?? { slug, name: slug, timezone: 'UTC' };
