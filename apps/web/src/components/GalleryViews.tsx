import { NavLink } from 'react-router';

/** The gallery's views: every image, favourites, collections. */
export function GalleryViews() {
  return (
    <nav className="gallery-views" aria-label="Gallery views">
      <NavLink to="/gallery" end className="tab">
        All images
      </NavLink>
      <NavLink to="/gallery/favourites" className="tab">
        Favourites
      </NavLink>
      <NavLink to="/collections" className="tab">
        Collections
      </NavLink>
    </nav>
  );
}
