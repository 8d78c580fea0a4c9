// Progressive enhancement of the address forms: when a province (or city) is chosen, the lists
// below it are refilled from GET /divisions, so the "update the lists" button is not needed.
// Without this script the button does the same on the server.
(() => {
  for (const form of document.querySelectorAll('[data-address-form]')) {
    const select = (level) => form.querySelector(`select[data-division="${level}"]`);
    const province = select('province');
    const city = select('city');
    const district = select('district');
    if (!province || !city || !district) continue;
    for (const el of form.querySelectorAll('[data-narrow], [data-narrow-hint]')) el.hidden = true;

    const fill = async (target, query) => {
      const first = target.options[0];
      target.replaceChildren(first);
      if (!query) return;
      try {
        const res = await fetch(`/divisions?${new URLSearchParams(query)}`, { headers: { accept: 'application/json' } });
        if (!res.ok) return;
        const { names } = await res.json();
        for (const name of names) target.add(new Option(name, name));
        if (names.length === 1) target.value = names[0];
      } catch {
        // Offline: the lists stay empty and the server still checks the choice.
      }
    };

    province.addEventListener('change', async () => {
      await fill(city, province.value ? { province: province.value } : null);
      await fill(district, city.value ? { province: province.value, city: city.value } : null);
    });
    city.addEventListener('change', () => fill(district, city.value ? { province: province.value, city: city.value } : null));
  }
})();

// The checkout keeps free text, with the divisions as suggestions: typing a province narrows the
// city suggestions, a city the district ones.
(() => {
  const form = document.querySelector('[data-checkout-form]');
  if (!form) return;
  const province = form.querySelector('#f-province');
  const city = form.querySelector('#f-city');
  const cities = document.getElementById('dl-city');
  const districts = document.getElementById('dl-district');
  if (!province || !city || !cities || !districts) return;
  const fill = async (list, query) => {
    list.replaceChildren();
    if (!query.province) return;
    try {
      const res = await fetch(`/divisions?${new URLSearchParams(query)}`, { headers: { accept: 'application/json' } });
      if (!res.ok) return;
      const { names } = await res.json();
      for (const name of names) list.append(new Option(name, name));
    } catch {
      // Offline: no suggestions; the field still takes what is typed.
    }
  };
  province.addEventListener('change', () => fill(cities, { province: province.value.trim() }));
  city.addEventListener('change', () => fill(districts, { province: province.value.trim(), city: city.value.trim() }));
})();
